import ArgumentParser
import Foundation
import Logging
import LovageLogging

/// `--log-format`, shared by the commands that log (worker, beat, run, record).
struct LogFormatOption: ParsableArguments {
    @Option(name: .customLong("log-format"),
            help: "Log lines: celery (Celery's line format, the default) or json (one JSON object per line). Default: LOVAGE_LOG_FORMAT or celery.")
    var logFormat: String?

    func validate() throws {
        if let logFormat, LogFormat.parse(logFormat) == nil {
            throw ValidationError("--log-format must be celery or json, got \(logFormat)")
        }
    }

    /// The format: this flag's, else LOVAGE_LOG_FORMAT's, else `fallback`.
    func resolve(fallback: LogFormat = .celery) throws -> LogFormat {
        do { return try LogFormat.resolve(flag: logFormat, environment: ProcessInfo.processInfo.environment, fallback: fallback) }
        catch { throw ValidationError(error.description) }
    }
}

/// What a command's logs look like: its format, level and Celery process name.
struct LogSetup {
    var format: LogFormat
    var level: Logger.Level
    var processName = "MainProcess"
}

/// A command that chooses its own log setup (from its flags); others get `LogSetup.default`.
protocol LoggingCommand {
    func logSetup() throws -> LogSetup
}

extension LogSetup {
    /// Commands without log flags: LOVAGE_LOG_FORMAT (a bad value is ignored here, since such a
    /// command writes no log lines of its own) at INFO.
    static var `default`: LogSetup {
        let format = (try? LogFormat.resolve(flag: nil, environment: ProcessInfo.processInfo.environment)) ?? .celery
        return LogSetup(format: format, level: .info)
    }

    /// Bootstraps swift-log for the command about to run: once, before it runs.
    static func bootstrap(for command: ParsableCommand) throws {
        let setup = try (command as? LoggingCommand)?.logSetup() ?? .default
        LovageLoggingSystem.bootstrap(format: setup.format, level: setup.level, processName: setup.processName)
    }
}
