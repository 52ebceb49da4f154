import CeleryWire
import Foundation
import PrivateRedis
import RedisClient
import RemoteControl
import Testing

/// Starts a private redis-server for one test and stops it afterwards.
func withServer<T>(_ body: (PrivateRedisServer) throws -> T) throws -> T {
    let server = try PrivateRedisServer()
    defer { server.stop() }
    return try body(server)
}

/// Seconds `body` took.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = Date()
    let value = try body()
    return (value, Date().timeIntervalSince(start))
}

@Suite("MailboxClient: Kombu's pidbox client against fake nodes on a private redis-server")
struct MailboxClientTests {
    @Test("a broadcast call publishes Kombu's request, waits the whole timeout and returns every node's reply in arrival order")
    func broadcast() throws {
        try withServer { server in
            let first = try FakeNode(hostname: "a@host", url: server.url)
            let second = try FakeNode(hostname: "b@host", url: server.url,
                                      script: { _ in [.sleep(0.1), .reply(PidboxReply.ok("pong"))] })
            defer { first.stop(); second.stop() }
            let client = try MailboxClient(url: server.url)
            let before = Date().timeIntervalSince1970
            // Timeouts leave room for a loaded CI host: the fake nodes' replies must all arrive in time.
            let (replies, seconds) = try timed { try client.call("ping", timeout: 2.0) }
            #expect(replies.map(\.hostname) == ["a@host", "b@host"])
            #expect(replies.allSatisfy { $0.value == PidboxReply.ok("pong") })
            #expect(seconds >= 2.0 && seconds < 3.5, "a broadcast waits the timeout: \(seconds) s")
            let request = try #require(first.requests.first)
            #expect(request.method == "ping" && request.arguments.isEmpty && request.destination == nil)
            #expect(request.replyTo == PidboxRequest.ReplyTo(exchange: "reply.celery.pidbox", routingKey: client.oid))
            #expect(request.ticket.map { UUID(uuidString: $0) != nil } == true)
            #expect(request.clock == 1)
            let expires = try #require(request.expires)
            #expect(abs(expires - (before + 2.0)) < 0.3)
            #expect(replies.allSatisfy { $0.ticket == request.ticket })
        }
    }

    @Test("each call has its own ticket and the clock moves forward past the replies' clocks")
    func ticketsAndClock() throws {
        try withServer { server in
            let node = try FakeNode(hostname: "a@host", url: server.url)
            defer { node.stop() }
            let client = try MailboxClient(url: server.url)
            _ = try client.call("ping", destination: ["a@host"], timeout: 1)
            _ = try client.call("ping", destination: ["a@host"], timeout: 1)
            let requests = node.requests
            #expect(requests.count == 2)
            #expect(requests[0].ticket != requests[1].ticket)
            // Node clock: request 1 -> 2, reply 3; the client adjusts to 4 and sends 5.
            #expect(requests.map(\.clock) == [1, 5])
        }
    }

    @Test("with a destination list the call ends at one reply per node, and unaddressed nodes stay silent")
    func destination() throws {
        try withServer { server in
            let first = try FakeNode(hostname: "a@host", url: server.url)
            let second = try FakeNode(hostname: "b@host", url: server.url)
            defer { first.stop(); second.stop() }
            let client = try MailboxClient(url: server.url)
            let (replies, seconds) = try timed {
                try client.call("stats", arguments: ["x": 1], destination: ["b@host"], timeout: 3)
            }
            #expect(replies.map(\.hostname) == ["b@host"])
            #expect(seconds < 1.0, "one destination, one reply: returns at once (\(seconds) s)")
            #expect(second.requests.first?.destination == ["b@host"])
            #expect(second.requests.first?.arguments == ["x": 1])
            #expect(first.requests.count == 1 && first.pushedReplies == 0)
        }
    }

    @Test("a reply with another ticket or a past expires is dropped; one without headers is kept")
    func filtering() throws {
        try withServer { server in
            let node = try FakeNode(hostname: "a@host", url: server.url, script: { _ in [
                .replyWithTicket("00000000-0000-0000-0000-000000000000", PidboxReply.ok("stale")),
                .replyExpired(PidboxReply.ok("expired")),
                .replyWithoutHeaders(PidboxReply.ok("bare")),
                .reply(PidboxReply.ok("pong")),
            ] })
            defer { node.stop() }
            let client = try MailboxClient(url: server.url)
            let replies = try client.call("ping", destination: ["a@host", "nobody@host"], timeout: 3.0)
            #expect(node.pushedReplies == 4)
            #expect(replies.map(\.value) == [PidboxReply.ok("bare"), PidboxReply.ok("pong")])
        }
    }

    @Test("the reply queue is bound while the call runs (with Kombu's binding deadline) and unbound and deleted afterwards")
    func bindingLifecycle() throws {
        try withServer { server in
            let observer = try RedisConnection(url: server.url)
            let seen = LockedValue<(Bool, Double?)>((false, nil))
            let node = try FakeNode(hostname: "a@host", url: server.url, script: { request in
                let member = "\(request.replyTo!.routingKey)\u{06}\u{16}\u{06}\u{16}\(request.replyTo!.routingKey).reply.celery.pidbox"
                let inspector = try? RedisConnection(url: server.url)
                let isMember = (try? inspector?.command("SISMEMBER", "_kombu.binding.reply.celery.pidbox", member)) == .integer(1)
                let score = (try? inspector?.command("ZSCORE", "_kombu.binding_deadlines", "reply.celery.pidbox"))?.stringValue
                seen.set((isMember, score.flatMap(Double.init)))
                return [.reply(PidboxReply.ok("pong"))]
            })
            defer { node.stop() }
            let client = try MailboxClient(url: server.url)
            let time = try #require(try observer.command("TIME").arrayValue?.compactMap { $0.stringValue }.compactMap(Double.init))
            let nowMillis = time[0] * 1000 + time[1] / 1000
            _ = try client.call("ping", destination: ["a@host"], timeout: 2)
            let (wasBound, deadline) = seen.get()
            #expect(wasBound)
            let score = try #require(deadline)
            #expect(abs(score - (nowMillis + 3_600_000)) < 5_000, "deadline \(score) vs TIME+1h \(nowMillis + 3_600_000)")
            #expect(try observer.command("SISMEMBER", "_kombu.binding.reply.celery.pidbox", client.bindingMember) == .integer(0))
            let lists = PriorityQueueKeys.allKeys(queue: client.replyQueue)
            #expect(try observer.command(["EXISTS"] + lists) == .integer(0))
        }
    }

    @Test("a reply sent after the call ended finds no binding: it is lost and leaves no list behind")
    func lateReplyFindsNoBinding() throws {
        try withServer { server in
            let node = try FakeNode(hostname: "a@host", url: server.url,
                                    script: { _ in [.sleep(0.6), .reply(PidboxReply.ok("late"))] })
            defer { node.stop() }
            let client = try MailboxClient(url: server.url)
            let replies = try client.call("ping", timeout: 0.2)
            #expect(replies.isEmpty)
            Thread.sleep(forTimeInterval: 0.8)
            #expect(node.repliesWithoutBinding == 1 && node.pushedReplies == 0)
            let observer = try RedisConnection(url: server.url)
            #expect(try observer.command("EXISTS", client.replyQueue) == .integer(0))
        }
    }

    @Test("a cast publishes without ticket and reply_to, and returns at once")
    func cast() throws {
        try withServer { server in
            let node = try FakeNode(hostname: "a@host", url: server.url)
            defer { node.stop() }
            let client = try MailboxClient(url: server.url)
            let (_, seconds) = try timed { try client.cast("shutdown", destination: ["a@host"]) }
            #expect(seconds < 0.5)
            Thread.sleep(forTimeInterval: 0.3)
            let request = try #require(node.requests.first)
            #expect(request.method == "shutdown" && request.destination == ["a@host"])
            #expect(request.ticket == nil && request.replyTo == nil && !request.wantsReply)
            #expect(request.clock == 1 && request.expires != nil)
            #expect(node.pushedReplies == 0)
        }
    }

    @Test("the published body is Kombu's json.dumps text, key order and float spelling included (case 22)")
    func wireShape() throws {
        try withServer { server in
            let node = try FakeNode(hostname: "a@host", url: server.url)
            defer { node.stop() }
            let client = try MailboxClient(url: server.url)
            _ = try client.call("time_limit", arguments: ["task_name": "app.slow", "soft": 5.0, "hard": 10.0],
                                destination: ["a@host"], timeout: 1)
            let request = try #require(node.requests.first)
            let envelope = try KombuEnvelope.decode(try #require(node.payloads.first))
            #expect(envelope.bodyEncoding == "base64" && envelope.properties["delivery_mode"] == .int(2))
            #expect(envelope.headers.keys == ["clock", "expires"])
            let body = String(decoding: envelope.body, as: UTF8.self)
            #expect(body == "{\"method\": \"time_limit\", \"arguments\": {\"task_name\": \"app.slow\", \"soft\": 5.0, \"hard\": 10.0}, "
                + "\"destination\": [\"a@host\"], \"pattern\": null, \"matcher\": null, \"ticket\": \"\(request.ticket!)\", "
                + "\"reply_to\": {\"exchange\": \"reply.celery.pidbox\", \"routing_key\": \"\(client.oid)\"}}")
        }
    }

    @Test("an unreachable broker is an error naming it")
    func unreachable() throws {
        let url = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: 1))
        do {
            _ = try MailboxClient(url: url)
            Issue.record("connected to port 1")
        } catch {
            #expect(error.message.contains("127.0.0.1:1"), "\(error.message)")
        }
    }
}

/// A value shared with a fake node's thread, under a lock.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
}
