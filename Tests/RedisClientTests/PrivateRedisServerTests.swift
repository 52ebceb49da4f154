import Foundation
import RedisClient
import PrivateRedis
import Testing

@Suite("The private redis-server (PrivateRedisServer)")
struct PrivateRedisServerTests {
    @Test("stop() ends the process, removes the directory and is idempotent")
    func stopCleansUp() throws {
        let server = try PrivateRedisServer(unixSocket: true)
        let port = server.port
        let pid = try #require(server.pid)
        #expect(ServerProcesses.redisServerPIDs(port: port) == [pid])
        #expect(FileManager.default.fileExists(atPath: server.directory))
        #expect(server.unixSocketPath.map { $0.hasPrefix(server.directory + "/") } == true)
        server.stop()
        server.stop()
        #expect(!server.isRunning)
        #expect(server.pid == nil)
        #expect(ServerProcesses.redisServerPIDs(port: port).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: server.directory))
        #expect(kill(pid, 0) != 0)
    }

    @Test("a port already in use gives an error with the server's log")
    func portInUse() throws {
        try withTestServer { server throws in
            #expect {
                _ = try PrivateRedisServer(port: server.port)
            } throws: { error in
                "\(error)".contains("Address already in use")
            }
            #expect(try RedisConnection(url: server.url).command("PING") == .status("PONG"))
        }
    }

    @Test("stop() also ends a paused server")
    func stopPaused() throws {
        let server = try PrivateRedisServer()
        let port = server.port
        server.pause()
        let (_, seconds) = timed { server.stop() }
        #expect(seconds < 2, "took \(seconds) s")
        #expect(ServerProcesses.redisServerPIDs(port: port).isEmpty)
    }

    @Test("writing a large pipeline to a stopped server throws connectionLost (SIGPIPE is not fatal)")
    func largeWriteAfterStop() throws {
        try withTestServer { server in
            let connection = try RedisConnection(url: server.url, commandTimeout: 5)
            server.stop()
            let value = [UInt8](repeating: 0x41, count: 1 << 20)
            let commands = (0..<16).map { [b("SET"), b("k\($0)"), value] }
            let error = expectRedisError { _ = try connection.pipeline(commands) }
            #expect(error?.code == .connectionLost)
            #expect(connection.isBroken)
        }
    }
}
