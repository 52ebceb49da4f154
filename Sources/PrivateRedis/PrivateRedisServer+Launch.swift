import Foundation
import RedisClient

/// Starting the redis-server process and waiting until it answers.
extension PrivateRedisServer {
    enum LaunchResult {
        case started(Process)
        case portInUse
    }

    /// The command line: loopback only, no persistence, foreground, plus the optional password,
    /// ACL user (redis 7.0 `user` directive syntax) and unix socket.
    func arguments(port: Int) -> [String] {
        var arguments = [
            "--port", String(port),
            "--bind", "127.0.0.1",
            "--dir", directory,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", "",
        ]
        if let requirePass {
            arguments += ["--requirepass", requirePass]
        }
        if let aclUser {
            arguments += ["--user", aclUser.name, "on", ">" + aclUser.password, "~*", "&*", "+@all"]
        }
        if let unixSocketPath {
            arguments += ["--unixsocket", unixSocketPath, "--unixsocketperm", "700"]
        }
        return arguments
    }

    /// Runs redis-server and waits until it answers (and `INFO` shows its own PID, not that of
    /// whoever else may hold the port). A bind collision is reported as `.portInUse` so the
    /// caller can pick another port; any other early exit or a timeout throws with the log.
    func launch(port: Int, timeout: Double) throws -> LaunchResult {
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw PrivateRedisServerError("cannot open \(logPath) for the redis-server log")
        }
        defer { try? log.close() }
        _ = try? log.seekToEnd()
        let logStart = (try? log.offset()) ?? 0

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments(port: port)
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        do {
            try Self.withSignalsUnblocked { try process.run() }
        } catch {
            throw PrivateRedisServerError("cannot launch \(executable): \(error)")
        }

        let readiness = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: port), password: requirePass)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if !process.isRunning {
                process.waitUntilExit()
                let output = logSince(logStart)
                if output.contains("Address already in use") { return .portInUse }
                throw PrivateRedisServerError("redis-server exited with status \(process.terminationStatus) before answering PING on 127.0.0.1:\(port); its log:\n\(output)")
            }
            if let connection = try? RedisConnection(url: readiness, connectTimeout: 0.5) {
                // Another server may own the port (ours then exits with "Address already in use"),
                // so only an answer from our own PID counts.
                let info = (try? connection.command("INFO", "server"))?.stringValue ?? ""
                connection.close()
                if info.contains("process_id:\(process.processIdentifier)\r\n") {
                    return .started(process)
                }
            }
            if Date() >= deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw PrivateRedisServerError("redis-server did not answer PING on 127.0.0.1:\(port) within \(timeout) s; its log:\n\(logSince(logStart))")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// The child inherits the spawning thread's signal mask, and test threads (libdispatch
    /// workers) block SIGTERM and friends, which would make redis-server ignore `stop()`'s SIGTERM.
    /// So the mask is cleared just for the spawn and restored afterwards.
    private static func withSignalsUnblocked<T>(_ body: () throws -> T) rethrows -> T {
        var none = sigset_t()
        var saved = sigset_t()
        sigemptyset(&none)
        let changed = pthread_sigmask(SIG_SETMASK, &none, &saved) == 0
        defer {
            if changed { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        }
        return try body()
    }

    private func logSince(_ offset: UInt64) -> String {
        let whole = readLog()
        let bytes = Array(whole.utf8)
        guard offset < UInt64(bytes.count) else { return whole }
        return String(decoding: bytes[Int(offset)...], as: UTF8.self)
    }
}
