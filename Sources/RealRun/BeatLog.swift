import CeleryWire
import Foundation

/// What one beat's log says it did, read back after the load: the lines `lovage beat` and Celery
/// beat write in the same format (`[2026-01-01 00:00:00,123: INFO/MainProcess] message`, UTC, to
/// the millisecond). Celery beat's own lines — `Scheduler: Sending due task NAME (TASK)` and, at
/// DEBUG, `TASK sent. id->ID` — come from both; the lock and catch-up lines only from `lovage beat`
/// (Celery beat has no lock).
struct BeatLogEvent: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// `Scheduler: Sending due task NAME (TASK)`.
        case send(entry: String, task: String)
        /// `TASK sent. id->ID`: the id of the send just before it.
        case sentID(task: String, id: String)
        /// `beat: holding the lock …`: this beat became the sender.
        case lockTaken
        /// It stopped sending: another beat holds the lock, or it lost the broker or the lock while holding it.
        case lockLost
        /// A takeover that did not catch up a crontab run older than `beat_cron_starting_deadline`;
        /// the entry's last send on the beat's clock.
        case deadlineSkip(entry: String, lastRunMicros: Int64)
    }

    /// The line's time, unix microseconds (millisecond precision).
    let atUnixMicros: Int64
    let kind: Kind
}

enum BeatLog {
    /// The events of a whole log, in the order written; other lines are skipped.
    static func events(in text: String) -> [BeatLogEvent] {
        text.split(separator: "\n").compactMap { line in
            guard let (at, message) = parse(line), let kind = kind(of: message) else { return nil }
            return BeatLogEvent(atUnixMicros: at, kind: kind)
        }
    }

    /// `[YYYY-MM-DD HH:MM:SS,mmm: LEVEL/Process] message` → (unix micros, message).
    static func parse(_ line: Substring) -> (Int64, Substring)? {
        guard line.hasPrefix("["), line.count > 25 else { return nil }
        let stampStart = line.index(after: line.startIndex)
        let stampEnd = line.index(stampStart, offsetBy: 23)
        guard let at = try? CeleryTimestamp.parse(String(line[stampStart..<stampEnd])),
              let close = line[stampEnd...].firstIndex(of: "]") else { return nil }
        return (at, line[line.index(after: close)...].drop { $0 == " " })
    }

    static func kind(of message: Substring) -> BeatLogEvent.Kind? {
        if let rest = message.dropPrefix("Scheduler: Sending due task "), let open = rest.range(of: " (", options: .backwards),
           rest.hasSuffix(")") {
            return .send(entry: String(rest[..<open.lowerBound]), task: String(rest[open.upperBound..<rest.index(before: rest.endIndex)]))
        }
        if let marker = message.range(of: " sent. id->") {
            return .sentID(task: String(message[..<marker.lowerBound]), id: String(message[marker.upperBound...]))
        }
        guard let beat = message.dropPrefix("beat: ") else { return nil }
        if beat.hasPrefix("holding the lock ") { return .lockTaken }
        if beat.contains("this beat stops sending") || beat.hasPrefix("lost the broker while holding the lock")
            || beat.hasPrefix("lost the lock before sending") { return .lockLost }
        if beat.hasSuffix("none is sent, the last is older than beat_cron_starting_deadline"),
           let passed = beat.range(of: " passed "), let since = beat.range(of: " since its last send at "),
           let end = beat[since.upperBound...].firstIndex(of: ";"),
           let last = try? CeleryTimestamp.parse(String(beat[since.upperBound..<end])) {
            return .deadlineSkip(entry: String(beat[..<passed.lowerBound]), lastRunMicros: last)
        }
        return nil
    }
}

extension Substring {
    fileprivate func dropPrefix(_ prefix: String) -> Substring? { hasPrefix(prefix) ? dropFirst(prefix.count) : nil }
}
