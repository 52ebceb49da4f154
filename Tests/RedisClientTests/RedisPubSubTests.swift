import RedisClient
import PrivateRedis
import Testing

@Suite("Subscribing: pushed messages against a real redis-server")
struct RedisPubSubTests {
    @Test("PSUBSCRIBE receives matching publishes in order; a quiet wait returns nil and keeps the connection")
    func patternSubscription() throws {
        try withTestServer { server in
            let subscriber = try RedisConnection(url: server.url)
            try subscriber.subscribe("/0.celeryev/task.*")
            #expect(try subscriber.nextPushedMessage(timeout: 0.05) == nil)
            let publisher = try RedisConnection(url: server.url)
            #expect(try publisher.command("PUBLISH", "/0.celeryev/task.multi", "one") == .integer(1))
            #expect(try publisher.command("PUBLISH", "/0.celeryev/worker.heartbeat", "skipped") == .integer(0))
            #expect(try publisher.command([b("PUBLISH"), b("/0.celeryev/task.started"), [0x00, 0xFF]]) == .integer(1))
            let first = try #require(try subscriber.nextPushedMessage(timeout: 2))
            #expect(first.pattern == "/0.celeryev/task.*" && first.channel == "/0.celeryev/task.multi" && first.payload == b("one"))
            let second = try #require(try subscriber.nextPushedMessage(timeout: 2))
            #expect(second.channel == "/0.celeryev/task.started" && second.payload == [0x00, 0xFF])
            #expect(try subscriber.nextPushedMessage(timeout: 0.05) == nil)
            #expect(!subscriber.isBroken)
        }
    }

    @Test("a subscriber whose server goes away throws instead of waiting forever")
    func serverGone() throws {
        let server = try PrivateRedisServer()
        let subscriber = try RedisConnection(url: server.url)
        try subscriber.subscribe("x", pattern: false)
        server.stop()
        #expect(throws: RedisError.self) {
            for _ in 0..<50 { _ = try subscriber.nextPushedMessage(timeout: 0.1) }
        }
    }
}
