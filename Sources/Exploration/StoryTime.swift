import WorkerCore

/// Times from the start of a run as people read them in a story: `02:00:00.013`.
public enum StoryTime {
    public static func format(span: TimeSpan) -> String { format(microseconds: span.microseconds) }

    public static func format(seconds: Double) -> String { format(microseconds: Int64((seconds * 1_000_000).rounded())) }

    public static func format(microseconds: Int64) -> String {
        let sign = microseconds < 0 ? "-" : ""
        let micros = abs(microseconds)
        let millis = micros / 1_000
        let hours = millis / 3_600_000, minutes = millis / 60_000 % 60, seconds = millis / 1_000 % 60, rest = millis % 1_000
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = rest < 10 ? "00\(rest)" : rest < 100 ? "0\(rest)" : "\(rest)"
        return "\(sign)\(two(hours)):\(two(minutes)):\(two(seconds)).\(fraction)"
    }
}
