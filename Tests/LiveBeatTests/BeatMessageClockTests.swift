import LiveBeat
import RedisClient
import Testing

/// The clock a send's eta and expires are stamped on: the beat's own by default (a skewed host
/// skews its messages too), or the one `--message-clock-offset` names — `lovage run` shifts its
/// beats' schedule clock to the scenario's `start_at` and keeps their messages on the true clock.
@Suite("beat message clock")
struct BeatMessageClockTests {
    @Test("by default a send is stamped on the beat's clock; --message-clock-offset=0 stamps it on the host's")
    func messageClock() throws {
        var settings = BeatSettings(entries: [], zone: .utc, brokerURL: try RedisURL("redis://127.0.0.1:6379/0"),
                                    holderID: "beat@test")
        settings.clockOffsetMicros = -90_000_000
        let host: Int64 = 1_800_000_000_000_000
        #expect(settings.messageNow(beatNow: host - 90_000_000) == host - 90_000_000)
        settings.messageClockOffsetMicros = 0
        #expect(settings.messageNow(beatNow: host - 90_000_000) == host)
        settings.messageClockOffsetMicros = 5_000_000
        #expect(settings.messageNow(beatNow: host - 90_000_000) == host + 5_000_000)
    }
}
