import Foundation
import LiveBeat
import PrivateRedis
import RedisClient
import Testing

/// A message with a NUL, a byte that is not UTF-8 and Kombu's separator in it, so a send that
/// lost or re-encoded any byte would show.
let binaryMessage: [UInt8] = utf8("{\"body\": \"W1tdLCB7fV0=\"}") + [0x00, 0xFF, 0x06, 0x16, 0x00]

@Suite("BeatRedisStore.send: the publish and the last run, only while the lock is this beat's")
struct BeatSendTests {
    @Test("after B took over A's expired lock, A's send is refused and writes nothing; B's pushes exactly one message and its last run")
    func onlyTheHolderSends() throws {
        try withServer { server in
            let redis = try RedisConnection(url: server.url)
            let a = try BeatRedisStore(connection: RedisConnection(url: server.url), holderID: "beat@a")
            let b = try BeatRedisStore(connection: RedisConnection(url: server.url), holderID: "beat@b")
            #expect(try a.acquireOrRenew(ttlMilliseconds: 200) == .acquired)
            // A is paused past its expiry (SIGSTOP, GC); B takes the lock meanwhile.
            #expect(try waitUntil(timeoutSeconds: 5) { try b.acquireOrRenew(ttlMilliseconds: 60_000) == .acquired })

            // A resumes, still believing it holds the lock.
            let sentByA = try a.send(binaryMessage, queue: "celery", priority: nil, entry: "nightly", unixSeconds: 1764883200.5)
            #expect(sentByA == false)
            #expect(try allKeys(redis) == ["lovage:beat:lock"], "a refused send writes nothing")

            let sentByB = try b.send(binaryMessage, queue: "celery", priority: nil, entry: "nightly", unixSeconds: 1764883200.123456)
            #expect(sentByB == true)
            #expect(try listValues(redis, "celery") == [binaryMessage])
            #expect(try redis.command("HGETALL", "lovage:beat:last_run")
                == .array([.string(utf8("nightly")), .string(utf8("1764883200.123456"))]))
            let member = "celery\u{06}\u{16}\u{06}\u{16}celery"
            #expect(try redis.command("SMEMBERS", "_kombu.binding.celery") == .array([.string(utf8(member))]))
            #expect(try redis.command("SMEMBERS", "_kombu.binding_permanent.celery") == .array([.string(utf8(member))]))
            #expect(try allKeys(redis) == ["_kombu.binding.celery", "_kombu.binding_permanent.celery", "celery",
                                           "lovage:beat:last_run", "lovage:beat:lock"])
            #expect(try b.lastRuns() == ["nightly": 1764883200.123456])
        }
    }

    @Test("with no lock at all, send with requireLock is refused")
    func noLockNoSend() throws {
        try withServer { server in
            let redis = try RedisConnection(url: server.url)
            let a = BeatRedisStore(connection: redis, holderID: "beat@a")
            #expect(try a.send(binaryMessage, queue: "celery", priority: nil, entry: "e", unixSeconds: 1) == false)
            #expect(try allKeys(redis).isEmpty)
        }
    }

    @Test("requireLock: false sends whoever holds the lock, and without one")
    func withoutTheLock() throws {
        try withServer { server in
            let redis = try RedisConnection(url: server.url)
            let a = BeatRedisStore(connection: redis, holderID: "beat@a")
            let b = BeatRedisStore(connection: redis, holderID: "beat@b")
            #expect(try a.send(binaryMessage, queue: "celery", priority: nil, entry: "one", unixSeconds: 10,
                               requireLock: false))
            #expect(try a.acquireOrRenew(ttlMilliseconds: 60_000) == .acquired)
            #expect(try b.send(utf8("second"), queue: "celery", priority: nil, entry: "two", unixSeconds: 20,
                               requireLock: false))
            #expect(try listValues(redis, "celery") == [utf8("second"), binaryMessage])
            #expect(try b.lastRuns() == ["one": 10, "two": 20])
            #expect(try redis.command("GET", "lovage:beat:lock") == .string(utf8("beat@a")), "the lock is untouched")
        }
    }

    @Test("priorities go to Kombu's priority lists: 9 to `q\\x06\\x169`, 4 to `q\\x06\\x163`, none and 0 to the bare queue")
    func priorityLists() throws {
        try withServer { server in
            let redis = try RedisConnection(url: server.url)
            let beat = BeatRedisStore(connection: redis, holderID: "beat@a")
            #expect(try beat.acquireOrRenew(ttlMilliseconds: 60_000) == .acquired)
            #expect(try beat.send(utf8("p9"), queue: "reports", priority: 9, entry: "a", unixSeconds: 1))
            #expect(try beat.send(utf8("p4"), queue: "reports", priority: 4, entry: "b", unixSeconds: 1))
            #expect(try beat.send(utf8("p0"), queue: "reports", priority: 0, entry: "c", unixSeconds: 1))
            #expect(try beat.send(utf8("none"), queue: "reports", priority: nil, entry: "d", unixSeconds: 1))
            #expect(try listValues(redis, "reports\u{06}\u{16}9") == [utf8("p9")])
            #expect(try listValues(redis, "reports\u{06}\u{16}3") == [utf8("p4")])
            #expect(try listValues(redis, "reports") == [utf8("none"), utf8("p0")])
            // The workers' priority_steps decide the lists: with [0, 5], priority 9 goes to step 5.
            #expect(try beat.send(utf8("p9/5"), queue: "reports", priority: 9, prioritySteps: [0, 5], entry: "e", unixSeconds: 1))
            #expect(try listValues(redis, "reports\u{06}\u{16}5") == [utf8("p9/5")])
        }
    }

    @Test("a wrong-typed queue or last-run key fails the send before anything is written")
    func wrongTypedKeys() throws {
        try withServer { server in
            let redis = try RedisConnection(url: server.url)
            let beat = BeatRedisStore(connection: redis, holderID: "beat@a")
            #expect(try beat.acquireOrRenew(ttlMilliseconds: 60_000) == .acquired)

            _ = try redis.command("SET", "celery", "not a list")
            #expect {
                _ = try beat.send(binaryMessage, queue: "celery", priority: nil, entry: "e", unixSeconds: 1)
            } throws: { error in
                (error as? RedisError).map { $0.code == .serverError && $0.message.contains("the queue key celery is a string") } ?? false
            }
            #expect(try allKeys(redis) == ["celery", "lovage:beat:lock"])

            _ = try redis.command("DEL", "celery")
            _ = try redis.command("SET", "lovage:beat:last_run", "not a hash")
            #expect {
                _ = try beat.send(binaryMessage, queue: "celery", priority: nil, entry: "e", unixSeconds: 1)
            } throws: { error in
                (error as? RedisError).map { $0.message.contains("the last-run key lovage:beat:last_run is a string") } ?? false
            }
            #expect(try allKeys(redis) == ["lovage:beat:last_run", "lovage:beat:lock"], "nothing pushed without its last run")
        }
    }
}
