import Foundation
import RedisClient

/// A real, throw-away redis-server on a free 127.0.0.1 port: the broker of `lovage run --mode redis`
/// when no `--broker` is given, and the server the Redis tests and micro-benchmarks run against.
///
/// Each server gets its own temporary directory (`--dir`, log, unix socket), persists nothing
/// (`--save ''`, no AOF) and listens only on loopback or its private socket. It is started with
/// `Process`, so its PID is known and `stop()` signals exactly that process. Call `stop()` in a
/// `defer` (or use `withServer`); `deinit` stops it too as a safety net.
///
/// `pause()`/`resume()` (SIGSTOP/SIGCONT) and `restart()` simulate broker outages.
public final class PrivateRedisServer: @unchecked Sendable {
    /// An ACL user created at start-up with all permissions (`on >password ~* &* +@all`).
    public struct ACLUser: Sendable, Equatable {
        public let name: String
        public let password: String

        public init(name: String, password: String) {
            self.name = name
            self.password = password
        }
    }

    /// The loopback port (fixed once `init` returns; `restart()` keeps it).
    public private(set) var port = 0
    /// The server's private temporary directory (removed by `stop()`).
    public let directory: String
    public let requirePass: String?
    public let aclUser: ACLUser?
    /// Path of the unix socket, if the server was asked for one.
    public let unixSocketPath: String?
    /// Where the server's stdout/stderr log goes (inside `directory`).
    public let logPath: String
    let executable: String

    private let lock = NSLock()
    private var process: Process?
    private var removedDirectory = false

    /// Starts a server and waits until it answers `PING` (at most `startTimeout` seconds).
    /// - Parameters:
    ///   - requirePass: password of the `default` user (`--requirepass`).
    ///   - aclUser: an extra ACL user with a password.
    ///   - unixSocket: also listen on a unix socket in the temporary directory.
    ///   - port: a specific port (e.g. one reserved earlier); by default a free one is chosen,
    ///     retrying with another if the chosen one is taken before the server binds it.
    public init(requirePass: String? = nil, aclUser: ACLUser? = nil, unixSocket: Bool = false,
                port: Int? = nil, startTimeout: Double = 10) throws {
        executable = try RedisServerExecutable.find()
        directory = try Self.makeTemporaryDirectory()
        logPath = directory + "/redis.log"
        self.requirePass = requirePass
        self.aclUser = aclUser
        unixSocketPath = unixSocket ? directory + "/redis.sock" : nil
        do {
            var attempt = 0
            while true {
                attempt += 1
                let candidate = try port ?? LoopbackPort.free()
                switch try launch(port: candidate, timeout: startTimeout) {
                case let .started(process):
                    self.port = candidate
                    self.process = process
                    return
                case .portInUse where port == nil && attempt < 5:
                    continue
                case .portInUse:
                    throw PrivateRedisServerError("redis-server could not bind 127.0.0.1:\(candidate): Address already in use\n\(readLog())")
                }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    deinit {
        stop()
    }

    /// Starts a server, runs `body`, and stops the server whatever happens.
    public static func withServer<T>(requirePass: String? = nil, aclUser: ACLUser? = nil, unixSocket: Bool = false,
                                     _ body: (PrivateRedisServer) throws -> T) throws -> T {
        let server = try PrivateRedisServer(requirePass: requirePass, aclUser: aclUser, unixSocket: unixSocket)
        defer { server.stop() }
        return try body(server)
    }

    /// `redis://[:requirePass@]127.0.0.1:PORT/database` (the `default` user).
    public var url: RedisURL { url(database: 0) }

    /// The TCP URL for another database, or logging in as another user.
    public func url(database: Int, username: String? = nil, password: String? = nil) -> RedisURL {
        RedisURL(endpoint: .tcp(host: "127.0.0.1", port: port), username: username,
                 password: password ?? (username == nil ? requirePass : nil), database: database)
    }

    /// The unix socket URL (`unix:///…/redis.sock?db=0`), or `nil` without `unixSocket: true`.
    public var unixURL: RedisURL? {
        unixSocketPath.map { RedisURL(endpoint: .unix(path: $0), password: requirePass) }
    }

    /// The running server's PID, or `nil` when stopped.
    public var pid: Int32? {
        lock.withLock { process.flatMap { $0.isRunning ? $0.processIdentifier : nil } }
    }

    public var isRunning: Bool { pid != nil }

    /// Stops the server: SIGTERM (and SIGCONT, in case it is paused), SIGKILL after 5 s, then
    /// removes the temporary directory. Only this server's PID is signalled. Idempotent.
    public func stop() {
        lock.withLock {
            terminateLocked()
            if !removedDirectory {
                removedDirectory = true
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }

    /// Freezes the server (SIGSTOP): connections stay open but nothing is answered.
    public func pause() {
        lock.withLock {
            if let process, process.isRunning { kill(process.processIdentifier, SIGSTOP) }
        }
    }

    /// Unfreezes a paused server (SIGCONT).
    public func resume() {
        lock.withLock {
            if let process, process.isRunning { kill(process.processIdentifier, SIGCONT) }
        }
    }

    /// Stops the server and starts a fresh one on the same port and directory (the data is gone:
    /// nothing is persisted). Existing client connections see the connection drop.
    public func restart(startTimeout: Double = 10) throws {
        try lock.withLock {
            guard !removedDirectory else { throw PrivateRedisServerError("restart() after stop(): the server's directory is gone") }
            terminateLocked()
            // The port was just released; it is normally free at once (redis uses SO_REUSEADDR).
            for attempt in 1...20 {
                switch try launch(port: port, timeout: startTimeout) {
                case let .started(process):
                    self.process = process
                    return
                case .portInUse where attempt < 20:
                    Thread.sleep(forTimeInterval: 0.1)
                case .portInUse:
                    break
                }
            }
            throw PrivateRedisServerError("restart: 127.0.0.1:\(port) stayed in use\n\(readLog())")
        }
    }

    /// The server's log so far (stdout and stderr), for failure messages.
    public func readLog() -> String {
        guard let data = FileManager.default.contents(atPath: logPath) else { return "(no log)" }
        return String(decoding: data, as: UTF8.self)
    }

    private func terminateLocked() {
        guard let process else { return }
        self.process = nil
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        kill(pid, SIGCONT)
        if !Self.waitForExit(process, seconds: 5) {
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
    }

    static func waitForExit(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return true
    }

    private static func makeTemporaryDirectory() throws -> String {
        // /tmp rather than $TMPDIR: unix socket paths must stay under ~100 bytes.
        let base = FileManager.default.fileExists(atPath: "/tmp") ? "/tmp" : NSTemporaryDirectory()
        var template = Array((base + "/lovage-redis-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }
        }
        guard made != nil else {
            throw PrivateRedisServerError("cannot create a temporary directory under \(base): \(String(cString: strerror(errno)))")
        }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
