import Foundation
import LiveBeat
import PrivateRedis
import RedisClient
import Testing

@Suite("BeatRedisStore's lock: one sender among many beats on one Redis")
struct BeatLockTests {
    @Test("A takes the lock, B is refused and learns A's id and PTTL, A renews, and B takes over once A's lock expires")
    func handover() throws {
        try withServer { server in
            let a = try BeatRedisStore(connection: RedisConnection(url: server.url), holderID: "beat@a:1:aa")
            let b = try BeatRedisStore(connection: RedisConnection(url: server.url), holderID: "beat@b:2:bb")
            let redis = try RedisConnection(url: server.url)

            #expect(try a.acquireOrRenew(ttlMilliseconds: 5000) == .acquired)
            #expect(try redis.command("GET", "lovage:beat:lock") == .string(utf8("beat@a:1:aa")))

            let refused = try b.acquireOrRenew(ttlMilliseconds: 5000)
            #expect(!refused.isMine)
            guard case let .heldByOther(holder, remaining) = refused else {
                Issue.record("B should be refused, got \(refused)")
                return
            }
            #expect(holder == "beat@a:1:aa")
            let pttl = try #require(remaining)
            #expect(pttl > 0 && pttl <= 5000, "PTTL \(pttl) ms")
            // B's refusal changed nothing.
            #expect(try redis.command("GET", "lovage:beat:lock") == .string(utf8("beat@a:1:aa")))

            Thread.sleep(forTimeInterval: 0.3)
            let beforeRenew = try #require(try redis.command("PTTL", "lovage:beat:lock").integerValue)
            #expect(beforeRenew < 4800, "300 ms after taking it: \(beforeRenew) ms left")
            #expect(try a.acquireOrRenew(ttlMilliseconds: 5000) == .renewed)
            let afterRenew = try #require(try redis.command("PTTL", "lovage:beat:lock").integerValue)
            #expect(afterRenew > beforeRenew && afterRenew <= 5000, "renewed to \(afterRenew) ms, was \(beforeRenew)")

            // A renews with a short ttl, then stops renewing (crashed or paused): the key expires.
            #expect(try a.acquireOrRenew(ttlMilliseconds: 200) == .renewed)
            let expiredAt = Date()
            #expect(try waitUntil(timeoutSeconds: 5) { try a.lockHolder() == nil })
            #expect(Date().timeIntervalSince(expiredAt) >= 0.15)

            #expect(try b.acquireOrRenew(ttlMilliseconds: 5000) == .acquired)
            guard case let .heldByOther(nowHolder, _) = try a.acquireOrRenew(ttlMilliseconds: 5000) else {
                Issue.record("A must not get the lock back while B holds it")
                return
            }
            #expect(nowHolder == "beat@b:2:bb")
            let seen = try #require(try a.lockHolder())
            #expect(seen.holderID == "beat@b:2:bb")
        }
    }

    @Test("a beat whose own lock expired with nobody taking it gets it back as acquired, not renewed")
    func reacquireOwnExpiredLock() throws {
        try withServer { server in
            let a = try BeatRedisStore(connection: RedisConnection(url: server.url), holderID: "beat@a")
            #expect(try a.acquireOrRenew(ttlMilliseconds: 100) == .acquired)
            #expect(try waitUntil(timeoutSeconds: 5) { try a.lockHolder() == nil })
            #expect(try a.acquireOrRenew(ttlMilliseconds: 5000) == .acquired)
        }
    }

    @Test("release by a non-holder leaves the lock; release by the holder deletes it and a standby takes it at once")
    func release() throws {
        try withServer { server in
            let a = try BeatRedisStore(connection: RedisConnection(url: server.url), holderID: "beat@a")
            let b = try BeatRedisStore(connection: RedisConnection(url: server.url), holderID: "beat@b")
            let redis = try RedisConnection(url: server.url)
            #expect(try a.acquireOrRenew(ttlMilliseconds: 60_000) == .acquired)

            #expect(try b.release() == false)
            #expect(try redis.command("GET", "lovage:beat:lock") == .string(utf8("beat@a")))

            #expect(try a.release() == true)
            #expect(try redis.command("EXISTS", "lovage:beat:lock") == .integer(0))
            #expect(try a.release() == false, "releasing twice deletes nothing")

            #expect(try b.acquireOrRenew(ttlMilliseconds: 60_000) == .acquired)
            #expect(try a.release() == false, "A's late release must not free B's lock")
            #expect(try redis.command("GET", "lovage:beat:lock") == .string(utf8("beat@b")))
        }
    }

    @Test("a lock key without expiry (set by hand) is reported with no remaining time and never taken over")
    func lockWithoutExpiry() throws {
        try withServer { server in
            let redis = try RedisConnection(url: server.url)
            #expect(try redis.command("SET", "lovage:beat:lock", "someone") == .status("OK"))
            let a = BeatRedisStore(connection: redis, holderID: "beat@a")
            #expect(try a.acquireOrRenew(ttlMilliseconds: 1000) == .heldByOther(holderID: "someone", remainingMilliseconds: nil))
            #expect(try redis.command("PTTL", "lovage:beat:lock") == .integer(-1))
            let holder = try #require(try a.lockHolder())
            #expect(holder.holderID == "someone" && holder.remainingMilliseconds == nil)
        }
    }

    @Test("beats under different prefixes have separate locks")
    func prefixes() throws {
        try withServer { server in
            let redis = try RedisConnection(url: server.url)
            let first = BeatRedisStore(connection: redis, holderID: "beat@a")
            let second = BeatRedisStore(connection: redis, holderID: "beat@b", keys: BeatRedisKeys(prefix: "shop:beat"))
            #expect(try first.acquireOrRenew(ttlMilliseconds: 60_000) == .acquired)
            #expect(try second.acquireOrRenew(ttlMilliseconds: 60_000) == .acquired)
            #expect(try allKeys(redis) == ["lovage:beat:lock", "shop:beat:lock"])
        }
    }

    @Test("a wrong-typed lock key is a server error naming the key, not a refusal")
    func wrongTypedLock() throws {
        try withServer { server in
            let redis = try RedisConnection(url: server.url)
            _ = try redis.command("HSET", "lovage:beat:lock", "x", "y")
            let a = BeatRedisStore(connection: redis, holderID: "beat@a")
            #expect {
                _ = try a.acquireOrRenew(ttlMilliseconds: 1000)
            } throws: { error in
                guard let error = error as? RedisError else { return false }
                return error.code == .serverError && error.message.contains("lovage:beat:lock")
                    && error.message.contains("WRONGTYPE")
            }
        }
    }
}
