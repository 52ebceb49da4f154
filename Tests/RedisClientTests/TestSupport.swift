import Foundation
import RedisClient
import PrivateRedis
import Testing

/// UTF-8 bytes of a string, for building binary-safe arguments tersely.
func b(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Starts a server for one test, and stops it afterwards, checking no process is left behind.
func withTestServer<T>(requirePass: String? = nil, aclUser: PrivateRedisServer.ACLUser? = nil, unixSocket: Bool = false,
                       _ body: (PrivateRedisServer) throws -> T) throws -> T {
    let server = try PrivateRedisServer(requirePass: requirePass, aclUser: aclUser, unixSocket: unixSocket)
    let port = server.port
    defer {
        server.stop()
        #expect(ServerProcesses.redisServerPIDs(port: port).isEmpty, "a redis-server on port \(port) is still running")
    }
    return try body(server)
}

/// Seconds `body` took.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try body()
    let parts = (clock.now - start).components
    return (value, Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
}

/// Runs `body`, which must throw a `RedisError`, and returns that error.
func expectRedisError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> RedisError? {
    do {
        try body()
        Issue.record("expected a RedisError, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as RedisError {
        return error
    } catch {
        Issue.record("expected a RedisError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A value handed from a background thread to the test, under a lock.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value?

    var value: Value? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
