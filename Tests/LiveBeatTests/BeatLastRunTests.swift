import LiveBeat
import PrivateRedis
import RedisClient
import Testing

@Suite("BeatRedisStore's last runs: entry → unix seconds with 6 decimals")
struct BeatLastRunTests {
    @Test("lastRuns reads back what recordLastRun and send wrote, as the documented text")
    func roundTrip() throws {
        try withServer { server in
            let redis = try RedisConnection(url: server.url)
            let beat = BeatRedisStore(connection: redis, holderID: "beat@a")
            #expect(try beat.lastRuns() == [:], "no hash yet: no entry has run")
            try beat.recordLastRun(entry: "nightly report", unixSeconds: 1764883200.123456)
            try beat.recordLastRun(entry: "every-minute", unixSeconds: 1764883260)
            try beat.recordLastRun(entry: "every-minute", unixSeconds: 1764883320.25)
            #expect(try redis.command("HGET", "lovage:beat:last_run", "nightly report") == .string(utf8("1764883200.123456")))
            #expect(try redis.command("HGET", "lovage:beat:last_run", "every-minute") == .string(utf8("1764883320.250000")))
            #expect(try beat.lastRuns() == ["nightly report": 1764883200.123456, "every-minute": 1764883320.25])

            try beat.clearLastRuns(["every-minute"])
            #expect(try beat.lastRuns() == ["nightly report": 1764883200.123456])
            try beat.clearLastRuns()
            #expect(try beat.lastRuns() == [:])
            #expect(try allKeys(redis).isEmpty)
        }
    }

    @Test("a malformed value is an error naming the entry and the text")
    func malformed() throws {
        try withServer { server in
            let redis = try RedisConnection(url: server.url)
            let beat = BeatRedisStore(connection: redis, holderID: "beat@a")
            try beat.recordLastRun(entry: "fine", unixSeconds: 1)
            _ = try redis.command("HSET", "lovage:beat:last_run", "nightly", "yesterday")
            #expect(throws: BeatStoreError.malformedLastRun(hash: "lovage:beat:last_run", entry: "nightly", text: "yesterday")) {
                _ = try beat.lastRuns()
            }
            let text = "\(BeatStoreError.malformedLastRun(hash: "lovage:beat:last_run", entry: "nightly", text: "1e9\n"))"
            #expect(text.contains("\"nightly\"") && text.contains("\"1e9\\u{a}\"") && text.contains("lovage:beat:last_run"), "\(text)")
        }
    }

    @Test("a wrong-typed last-run key is a Redis error, not an empty schedule")
    func wrongType() throws {
        try withServer { server in
            let redis = try RedisConnection(url: server.url)
            _ = try redis.command("SET", "lovage:beat:last_run", "x")
            let beat = BeatRedisStore(connection: redis, holderID: "beat@a")
            #expect {
                _ = try beat.lastRuns()
            } throws: { error in
                guard case let .redis(inner)? = error as? BeatStoreError else { return false }
                return inner.message.contains("WRONGTYPE") && inner.message.contains("lovage:beat:last_run")
            }
        }
    }

    @Test("the text format: 6 decimals in, plain decimals only out")
    func textFormat() {
        #expect(BeatRedisKeys.lastRunText(unixSeconds: 1764883200.123456) == "1764883200.123456")
        #expect(BeatRedisKeys.lastRunText(unixSeconds: 1764883200) == "1764883200.000000")
        #expect(BeatRedisKeys.lastRunText(unixSeconds: 0.0000004) == "0.000000")
        #expect(BeatRedisKeys.parseLastRun("1764883200.123456") == 1764883200.123456)
        #expect(BeatRedisKeys.parseLastRun("1764883200") == 1764883200)
        for bad in ["", "-", ".", "yesterday", "1e9", "inf", "nan", " 1", "1 ", "1.2.3", "0x10", "1_000"] {
            #expect(BeatRedisKeys.parseLastRun(bad) == nil, "\(bad) must be refused")
        }
    }

    @Test("the documented key names under the default and a custom prefix")
    func keyNames() {
        #expect(BeatRedisKeys().lock == "lovage:beat:lock")
        #expect(BeatRedisKeys().lastRun == "lovage:beat:last_run")
        #expect(BeatRedisKeys(prefix: "shop:beat").lastRun == "shop:beat:last_run")
    }
}
