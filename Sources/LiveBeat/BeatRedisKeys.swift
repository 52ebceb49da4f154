import Foundation

/// The Redis keys `lovage beat` keeps, all under one prefix (default `lovage:beat`), so several
/// schedules can share a Redis by giving each its own prefix. These names and formats are part of
/// the user-facing documentation: an operator reads them with `redis-cli` to see who is sending and
/// when each entry last ran, and may delete them by hand.
///
/// - `<prefix>:lock` — a string: the id of the beat that sends (e.g. `beat@host:4711:9f2c`), set
///   with a PX expiry the holder keeps renewing. Every other beat is on standby while it exists;
///   deleting it makes the next beat to renew take over.
/// - `<prefix>:last_run` — a hash: entry name → the unix time of the entry's last send in seconds,
///   as text with exactly 6 decimals (`"1764883200.123456"`). A restarted beat reads it so that it
///   neither repeats a run nor drops one. Deleting a field makes that entry count as never run.
public struct BeatRedisKeys: Sendable, Equatable {
    public static let defaultPrefix = "lovage:beat"

    /// The prefix every key starts with (no trailing colon).
    public let prefix: String

    public init(prefix: String = BeatRedisKeys.defaultPrefix) {
        self.prefix = prefix
    }

    /// `<prefix>:lock`: a string holding the sending beat's id, with a PX expiry.
    public var lock: String { prefix + ":lock" }

    /// `<prefix>:last_run`: a hash of entry name → unix seconds of the last send, 6 decimals.
    public var lastRun: String { prefix + ":last_run" }

    /// A last-run value as it is stored: unix seconds with exactly 6 decimals (microseconds), in
    /// the C locale whatever the process' locale is, e.g. `1764883200.123456`.
    public static func lastRunText(unixSeconds: Double) -> String {
        String(format: "%.6f", unixSeconds)
    }

    /// A stored last-run value back to unix seconds; nil unless it is a plain finite decimal number
    /// (digits with an optional sign and fraction: no exponent, `inf`, `nan` or spaces), which is
    /// what `lastRunText` writes and what a person editing the hash by hand would write.
    public static func parseLastRun(_ text: String) -> Double? {
        var digitsSeen = false
        var pointSeen = false
        for (index, scalar) in text.unicodeScalars.enumerated() {
            switch scalar {
            case "0"..."9": digitsSeen = true
            case "." where !pointSeen: pointSeen = true
            case "-" where index == 0, "+" where index == 0: break
            default: return nil
            }
        }
        guard digitsSeen, let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
