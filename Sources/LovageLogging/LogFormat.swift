/// How a log line is written: Celery's line format (the default, what Celery users' log
/// scrapers read), one JSON object per line (for log collectors), or the bare message (for
/// commands whose log lines were never in Celery's format, such as `lovage record`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// `[2026-11-29 04:55:00,123: INFO/MainProcess] message`
    case celery
    /// `{"time":"2026-11-29T04:55:00.123Z","level":"INFO","logger":"lovage.worker",...}`
    case json
    /// `message`
    case plain

    /// The environment variable that chooses the format when no `--log-format` flag is given.
    public static let environmentKey = "LOVAGE_LOG_FORMAT"

    /// Reads a `--log-format` value or `LOVAGE_LOG_FORMAT`, case-insensitively: celery or json
    /// (`plain` is only a command's own default, not a choice).
    public static func parse(_ text: String) -> LogFormat? {
        let format = LogFormat(rawValue: text.trimmingCharacters(inSet: " \t").lowercased())
        return format == .plain ? nil : format
    }

    /// The format a command uses: the flag's, else the environment's, else `fallback`. A bad value
    /// is an error naming where it came from.
    public static func resolve(flag: String?, environment: [String: String], fallback: LogFormat = .celery) throws(LogSettingError) -> LogFormat {
        if let flag {
            guard let format = parse(flag) else { throw LogSettingError("--log-format must be celery or json, got \(flag)") }
            return format
        }
        if let text = environment[environmentKey], !text.isEmpty {
            guard let format = parse(text) else { throw LogSettingError("\(environmentKey) must be celery or json, got \(text)") }
            return format
        }
        return fallback
    }
}

/// A bad log setting (a flag or environment value), with the message to show.
public struct LogSettingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    /// Trims the given ASCII characters at both ends (this module does without Foundation).
    func trimmingCharacters(inSet set: String) -> String {
        let characters = Set(set)
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
