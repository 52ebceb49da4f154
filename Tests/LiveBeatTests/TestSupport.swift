import Foundation
import PrivateRedis
import RedisClient
import Testing

/// Starts a private redis-server for one test and stops it afterwards.
func withServer<T>(_ body: (PrivateRedisServer) throws -> T) throws -> T {
    let server = try PrivateRedisServer()
    defer { server.stop() }
    return try body(server)
}

/// UTF-8 bytes of a string.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The values of a list, head (last LPUSHed) first.
func listValues(_ connection: RedisConnection, _ key: String) throws -> [[UInt8]] {
    try (connection.command("LRANGE", key, "0", "-1").arrayValue ?? []).compactMap(\.bytes)
}

/// The keys in the database, sorted.
func allKeys(_ connection: RedisConnection) throws -> [String] {
    try (connection.command("KEYS", "*").arrayValue ?? []).compactMap(\.stringValue).sorted()
}

/// Waits until `condition` holds, checking every 20 ms for at most `timeoutSeconds`.
func waitUntil(timeoutSeconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return try condition()
}
