import Foundation

/// Starting one child process of a run (a worker, a beat) with its output appended to its own log
/// file, so a process started again after a fault continues the same log, and with a line on the
/// run's log when it ends (next to the faults' and scaler's lines that signalled it).
enum LoggedProcess {
    static func launch(executable: String, arguments: [String], environment: [String: String], directory: String,
                       logPath: String, name: String, log: @escaping @Sendable (String) -> Void) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
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
            log("fleet: \(name) (pid \(ended.processIdentifier)) ended, \(how)")
        }
        try process.run()
        return process
    }
}
