import Logging

/// Celery's level names (`-l/--loglevel`, and the `LEVEL` in a log line) and swift-log's levels.
/// swift-log has two levels Celery lacks: `trace` is written as DEBUG and `notice` as INFO.
public enum LogLevelName {
    /// The name written in a line: DEBUG, INFO, WARNING, ERROR or CRITICAL.
    public static func name(of level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: return "DEBUG"
        case .info, .notice: return "INFO"
        case .warning: return "WARNING"
        case .error: return "ERROR"
        case .critical: return "CRITICAL"
        }
    }

    /// Reads a `-l/--loglevel` value as Celery does (any case; WARN and FATAL are Python's aliases).
    public static func parse(_ text: String) -> Logger.Level? {
        switch text.trimmingCharacters(inSet: " \t").uppercased() {
        case "DEBUG": return .debug
        case "INFO": return .info
        case "WARNING", "WARN": return .warning
        case "ERROR": return .error
        case "CRITICAL", "FATAL": return .critical
        default: return nil
        }
    }

    /// `parse`, or an error naming the flag and the value.
    public static func resolve(_ text: String, flag: String = "--loglevel") throws(LogSettingError) -> Logger.Level {
        guard let level = parse(text) else {
            throw LogSettingError("\(flag) must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got \(text)")
        }
        return level
    }
}
