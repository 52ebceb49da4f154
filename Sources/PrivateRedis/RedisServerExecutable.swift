import Foundation

/// Locates the `redis-server` binary: a real run and the tests need a real server, and when it is
/// missing they must say how to install it rather than fail with a cryptic launch error.
public enum RedisServerExecutable {
    public static func find() throws -> String {
        let pathEntries = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        let candidates = pathEntries.map { "\($0)/redis-server" } + ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw PrivateRedisServerError("redis-server not found: apt-get install redis-server")
    }
}
