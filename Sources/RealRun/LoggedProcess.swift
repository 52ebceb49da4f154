import Foundation
import Logging
import LovageLogging

/// Starting one child process of a run (a worker, a beat) with its output appended to its own log
/// file, so a process started again after a fault continues the same log, and with a line on the
/// run's log when it ends (next to the faults' and scaler's lines that signalled it).
enum LoggedProcess {
    static func launch(executable: String, arguments: [String], environment: [String: String], directory: String,
                       logPath: String, name: String, logger: Logger) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // The run reads its processes' logs (beats' sends, workers' `ready.`) in Celery's format,
        // whatever LOVAGE_LOG_FORMAT the run itself was started with.
        var environment = environment
        environment[LogFormat.environmentKey] = LogFormat.celery.rawValue
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let logFile = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        logFile.seekToEndOfFile()
        process.standardOutput = logFile
        process.standardError = logFile
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { ended in
            let how = ended.terminationReason == .uncaughtSignal ? "signal \(ended.terminationStatus)" : "exit code \(ended.terminationStatus)"
            logger.info("fleet: \(name) (pid \(ended.processIdentifier)) ended, \(how)")
        }
        try process.run()
        return process
    }
}
