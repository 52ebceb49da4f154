import Dispatch
import RedisClient
import PrivateRedis
import Testing

@Suite("Unreachable servers, waiting and lost connections")
struct RedisFailureTests {
    @Test("connecting to a closed port fails promptly with connectionRefused and the URL")
    func closedPort() throws {
        let port = try LoopbackPort.free()
        let url = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: port), password: "hidden")
        let (error, seconds) = timed { expectRedisError { _ = try RedisConnection(url: url, connectTimeout: 2) } }
        #expect(error?.code == .connectionRefused)
        #expect(error?.message == "cannot connect to redis://:***@127.0.0.1:\(port)/0: Connection refused")
        #expect(error?.endpoint == "redis://:***@127.0.0.1:\(port)/0")
        #expect(seconds < 1, "took \(seconds) s")
    }

    @Test("a missing unix socket is unreachable")
    func missingSocket() {
        let url = RedisURL(endpoint: .unix(path: "/nonexistent/lovage-test/redis.sock"))
        let error = expectRedisError { _ = try RedisConnection(url: url) }
        #expect(error?.code == .unreachable)
        #expect(error?.message == "cannot connect to unix:///nonexistent/lovage-test/redis.sock?db=0: No such file or directory")
    }

    @Test("waitUntilReachable gives up after about its timeout and says how long it waited")
    func waitTimesOut() throws {
        let port = try LoopbackPort.free()
        let url = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: port))
        let (error, seconds) = timed {
            expectRedisError { try RedisConnection.waitUntilReachable(url: url, timeout: 1, pollInterval: 0.1) }
        }
        #expect(seconds > 0.95 && seconds < 2, "took \(seconds) s")
        #expect(error?.code == .connectionRefused)
        #expect(error?.message.hasPrefix("gave up waiting for redis://127.0.0.1:\(port)/0 after 1") == true, "\(String(describing: error))")
        #expect(error?.message.contains("last error: cannot connect to redis://127.0.0.1:\(port)/0: Connection refused") == true)
    }

    @Test("waitUntilReachable succeeds once a server starts 0.5 s after the wait began")
    func waitSucceedsWhenServerStarts() throws {
        let port = try LoopbackPort.free()
        let started = LockedBox<Result<PrivateRedisServer, PrivateRedisServerError>>()
        let done = DispatchSemaphore(value: 0)
        // A GCD thread, not a Swift task: the test thread blocks while waiting.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) {
            do {
                started.value = .success(try PrivateRedisServer(port: port))
            } catch {
                started.value = .failure(error as? PrivateRedisServerError ?? PrivateRedisServerError("\(error)"))
            }
            done.signal()
        }
        let url = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: port))
        let (_, seconds) = try timed { try RedisConnection.waitUntilReachable(url: url, timeout: 10, pollInterval: 0.05) }
        done.wait()
        let server = try #require(started.value).get()
        server.stop()
        #expect(ServerProcesses.redisServerPIDs(port: port).isEmpty)
        #expect(seconds > 0.45 && seconds < 5, "took \(seconds) s")
    }

    @Test("waitUntilReachable stops at once on bad credentials")
    func waitStopsOnBadPassword() throws {
        try withTestServer(requirePass: "pw") { server in
            let url = server.url(database: 0, password: "wrong")
            let (error, seconds) = timed {
                expectRedisError { try RedisConnection.waitUntilReachable(url: url, timeout: 5) }
            }
            #expect(error?.code == .authenticationFailed)
            #expect(seconds < 1)
            try RedisConnection.waitUntilReachable(url: server.url, timeout: 5)
        }
    }

    @Test("a stopped server makes the next command throw connectionLost and breaks the connection")
    func connectionLost() throws {
        try withTestServer { server in
            let connection = try RedisConnection(url: server.url)
            #expect(try connection.command("SET", "k", "v") == .status("OK"))
            server.stop()
            let error = expectRedisError { _ = try connection.command("GET", "k") }
            #expect(error?.code == .connectionLost)
            #expect(error?.message.hasPrefix("lost the connection to redis://127.0.0.1:\(server.port)/0") == true, "\(String(describing: error))")
            #expect(connection.isBroken)
            #expect(connection.isClosed)
            let again = expectRedisError { _ = try connection.pipeline([[b("PING")]]) }
            #expect(again?.code == .connectionLost)
            #expect(again?.message.contains("unusable after an earlier failure") == true)
        }
    }

    @Test("a paused server makes a command time out and breaks the connection")
    func commandTimeout() throws {
        try withTestServer { server in
            let connection = try RedisConnection(url: server.url, commandTimeout: 0.3)
            server.pause()
            let (error, seconds) = timed { expectRedisError { _ = try connection.command("PING") } }
            server.resume()
            #expect(error?.code == .timeout)
            #expect(error?.message.hasPrefix("no reply from redis://127.0.0.1:\(server.port)/0 within 0.3 s") == true, "\(String(describing: error))")
            #expect(seconds > 0.25 && seconds < 2, "took \(seconds) s")
            #expect(connection.isBroken)
            #expect(expectRedisError { _ = try connection.command("PING") }?.code == .connectionLost)
            #expect(try RedisConnection(url: server.url).command("PING") == .status("PONG"))
        }
    }

    @Test("a paused server makes connecting time out (the login round trip)")
    func connectTimeout() throws {
        try withTestServer { server in
            server.pause()
            defer { server.resume() }
            let (error, seconds) = timed { expectRedisError { _ = try RedisConnection(url: server.url, connectTimeout: 0.3) } }
            #expect(error?.code == .timeout)
            #expect(seconds < 2, "took \(seconds) s")
        }
    }

    @Test("restart() drops existing connections and serves new ones on the same port")
    func restart() throws {
        try withTestServer { server in
            let port = server.port
            let old = try RedisConnection(url: server.url)
            #expect(try old.command("SET", "k", "v") == .status("OK"))
            let pid = server.pid
            try server.restart()
            #expect(server.port == port)
            #expect(server.pid != nil && server.pid != pid)
            #expect(expectRedisError { _ = try old.command("GET", "k") }?.code == .connectionLost)
            let fresh = try RedisConnection(url: server.url)
            #expect(try fresh.command("GET", "k") == .null)
            let newPID = try #require(server.pid)
            let running = ServerProcesses.redisServerPIDs(port: port)
            #expect(running == [newPID], "running: \(running), expected \(newPID)")
        }
    }
}
