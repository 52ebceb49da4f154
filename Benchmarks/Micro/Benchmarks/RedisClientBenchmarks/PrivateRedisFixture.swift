import Foundation
import PrivateRedis
import RedisClient

/// A private `redis-server` on a free 127.0.0.1 port (`PrivateRedisServer` from PrivateRedis: its own
/// temporary directory, no persistence) and one connection to it, for one benchmark process.
///
/// package-benchmark runs each benchmark in a process of its own, with the malloc interposer
/// preloaded through `LD_PRELOAD`. The server is started without that variable, so it runs with its
/// own allocator as it does in production; the benchmark process keeps the interposer it loaded.
///
/// When `LOVAGE_MICRO_REDIS_PIDS` names a file, the server's PID and directory are appended to it,
/// so `Benchmarks/micro-benchmarks.sh` can stop exactly that server if this process dies before
/// its teardown.
final class PrivateRedisFixture {
    private(set) var server: PrivateRedisServer?
    private(set) var connection: RedisConnection?

    /// `PING`.
    let ping: [[UInt8]] = [Array("PING".utf8)]
    /// The document Celery's Redis backend stores for `app.add(2, 3)` (capture 01's task id).
    let resultDocument: [UInt8]
    /// `SET celery-task-meta-<id> <document>` then `GET celery-task-meta-<id>`.
    let setThenGet: [[[UInt8]]]

    init() {
        let key = Array("celery-task-meta-aa9c7612-0ed3-44ac-bd33-65214c675aad".utf8)
        let document = #"{"status": "SUCCESS", "result": 5, "traceback": null, "children": [], "#
            + #""date_done": "2026-11-29T10:00:00.000000+00:00", "task_id": "aa9c7612-0ed3-44ac-bd33-65214c675aad"}"#
        resultDocument = Array(document.utf8)
        setThenGet = [[Array("SET".utf8), key, resultDocument], [Array("GET".utf8), key]]
    }

    func start() throws {
        let server = try Self.withoutPreload { try PrivateRedisServer() }
        self.server = server
        if let pidFile = ProcessInfo.processInfo.environment["LOVAGE_MICRO_REDIS_PIDS"], let pid = server.pid {
            try Self.append("\(pid) \(server.directory)\n", to: pidFile)
        }
        connection = try RedisConnection(url: server.url, commandTimeout: 5)
        guard try connection?.command(ping) == .status("PONG") else {
            throw FixtureError("the private redis-server on port \(server.port) did not answer PING")
        }
    }

    /// Closes the connection and stops the server (only its own PID is signalled).
    func stop() {
        connection?.close()
        connection = nil
        server?.stop()
        server = nil
    }

    private static func withoutPreload<T>(_ body: () throws -> T) rethrows -> T {
        guard let preload = getenv("LD_PRELOAD").map({ String(cString: $0) }) else { return try body() }
        unsetenv("LD_PRELOAD")
        defer { setenv("LD_PRELOAD", preload, 1) }
        return try body()
    }

    private static func append(_ line: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw FixtureError("cannot write \(path)") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
