import Testing
@testable import Schedules

/// The tick without a clock: sends at the due times, at most one per tick, sleeps no longer than
/// max_interval, and after a downtime sends one catch-up per entry (Celery's behaviour), then
/// resumes from the send.
struct BeatSchedulerTests {
    static let second: Int64 = 1_000_000
    static let start: Int64 = 1_796_342_400 * second   // 2026-12-04 00:00:00 UTC

    func entry(_ name: String, every seconds: Int64) -> BeatEntry {
        BeatEntry(name: name, task: "app.\(name)", schedule: .every(IntervalSchedule(everyMicros: seconds * Self.second)))
    }

    /// Steps a scheduler on a fake clock as beat's loop does, each tick costing 1 ms.
    func run(_ scheduler: inout BeatScheduler, from: Int64, until: Int64) -> [(Int64, String)] {
        var now = from
        var sends: [(Int64, String)] = []
        while now < until {
            let tick = scheduler.tick(now: now)
            if let index = tick.send { sends.append((now, scheduler.entries[index].name)) }
            now += max(tick.sleepMicros, 0) + 1_000
        }
        return sends
    }

    @Test func intervalEntriesGoOutAtTheirPeriodsFromStart() {
        var scheduler = BeatScheduler(entries: [entry("fast", every: 10), entry("slow", every: 25)], now: Self.start)
        let sends = run(&scheduler, from: Self.start, until: Self.start + 60 * Self.second)
        #expect(sends.filter { $0.1 == "fast" }.count == 5)   // 10 s after start, then every ~10 s
        #expect(sends.filter { $0.1 == "slow" }.count == 2)
        for (at, name) in sends {
            let period: Int64 = name == "fast" ? 10 : 25
            // Each lands within a few ms of a multiple of its period since start (ticks cost 1 ms).
            let offset = (at - Self.start) % (period * Self.second)
            #expect(offset < 50_000 || period * Self.second - offset < 50_000, "\(name) at +\(at - Self.start) µs")
        }
    }

    @Test func sleepsAreCappedByMaxInterval() {
        var scheduler = BeatScheduler(entries: [entry("hourly", every: 3600)], maxIntervalMicros: 5 * Self.second, now: Self.start)
        let tick = scheduler.tick(now: Self.start)
        #expect(tick.send == nil && tick.sleepMicros == 5 * Self.second)
    }

    @Test func aDowntimeGivesOneCatchUpSendThenTheScheduleResumesFromIt() {
        // Last sent 10 minutes ago, every minute: 10 due times passed; Celery sends once now.
        let lastRun = Self.start - 600 * Self.second
        var scheduler = BeatScheduler(entries: [entry("minutely", every: 60)], lastRuns: [lastRun], now: Self.start)
        #expect(scheduler.passedDueTimes(of: 0, now: Self.start).count == 10)
        let sends = run(&scheduler, from: Self.start, until: Self.start + 125 * Self.second)
        #expect(sends.count == 3)
        #expect(sends[0].0 == Self.start)
        #expect(abs(sends[1].0 - (Self.start + 60 * Self.second)) < 20_000)
    }

    @Test func aCrontabFiresOnItsMinutes() throws {
        let every5 = BeatEntry(name: "five", task: "app.five", schedule: .crontab(try CrontabSchedule(expression: "*/5 * * * *")))
        var scheduler = BeatScheduler(entries: [every5], maxIntervalMicros: 300 * Self.second, now: Self.start + 61 * Self.second)
        let sends = run(&scheduler, from: Self.start + 61 * Self.second, until: Self.start + 16 * 60 * Self.second)
        #expect(sends.map { ($0.0 - Self.start) / (60 * Self.second) } == [5, 10, 15])
        for (at, _) in sends { #expect((at - Self.start) % (60 * Self.second) < 20_000) }
    }

    @Test func takingOverAdoptsTheLaterLastRun() {
        var scheduler = BeatScheduler(entries: [entry("a", every: 60)], now: Self.start)
        scheduler.adopt(lastRuns: [Self.start + 30 * Self.second])
        #expect(scheduler.lastRuns == [Self.start + 30 * Self.second])
        #expect(scheduler.tick(now: Self.start + 60 * Self.second).send == nil)
        #expect(scheduler.tick(now: Self.start + 90 * Self.second).send == 0)
    }
}
