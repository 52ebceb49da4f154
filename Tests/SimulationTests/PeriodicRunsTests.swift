import Reports
import Testing

/// `PeriodicRuns` on hand-made sends: the definitions of due times, duplicates and missed runs
/// (docs/scenarios.md, "Periodic figures"), without a simulator.
@Suite("periodic runs judged")
struct PeriodicRunsTests {
    static let second: Int64 = 1_000_000

    func judge(_ cadence: PeriodicRuns.Cadence, beats: [PeriodicRuns.Beat] = [PeriodicRuns.Beat(name: "beat-1", lock: true, clockOffsetMicros: 0)],
               sends: [(beat: Int, at: Int64)], end: Int64 = 100) -> PeriodicRuns {
        var runs = PeriodicRuns(windowStartMicros: 0, windowEndMicros: end * Self.second,
                                entries: [PeriodicRuns.Entry(name: "e", task: "t", schedule: "s", cadence: cadence)], beats: beats)
        runs.sends = sends.map { PeriodicRuns.Send(entry: 0, beat: $0.beat, atMicros: $0.at * Self.second) }
        runs.cover(from: 0, .sending)
        return runs
    }

    @Test("an interval gap holds the runs k ≥ 1 with (k + ½) intervals shorter than it")
    func missedRunsInAGap() {
        let every = 10 * Self.second
        #expect(PeriodicRuns.missedRuns(gapMicros: 10 * Self.second, everyMicros: every) == 0)
        #expect(PeriodicRuns.missedRuns(gapMicros: 15 * Self.second, everyMicros: every) == 0)
        #expect(PeriodicRuns.missedRuns(gapMicros: 15 * Self.second + 1, everyMicros: every) == 1)
        #expect(PeriodicRuns.missedRuns(gapMicros: 25 * Self.second, everyMicros: every) == 1)
        #expect(PeriodicRuns.missedRuns(gapMicros: 26 * Self.second, everyMicros: every) == 2)
    }

    @Test("interval: a send within half an interval is a duplicate; gaps, the start and the end count misses")
    func interval() {
        var runs = judge(.interval(everyMicros: 10 * Self.second), sends: [(0, 10), (0, 20), (0, 24), (0, 50), (0, 60)], end: 90)
        runs.cover(from: 25 * Self.second, .noBeat)
        runs.cover(from: 45 * Self.second, .sending)
        let figure = runs.summary().entries[0]
        #expect(figure.sends == 5 && figure.duplicates == 1)
        // 20 → 50 holds 30 and 40; 60 → the end (90) holds 70 and 80.
        #expect(figure.missed == 4)
        #expect(figure.due == 8)
        #expect(figure.missedCauses.map(\.cause) == ["no beat running from 00:00:25.000 to 00:00:45.000", "unexplained"])
        #expect(figure.duplicateCauses.map(\.cause) == ["unexplained (beat-1 sent it twice)"])
        #expect(figure.gapMicros == RunSummary.Span(min: 4 * Self.second, max: 30 * Self.second))
    }

    @Test("crontab: a send belongs to the latest due time at or before it on its beat's clock")
    func crontabOnTheSendersClock() {
        let beats = [PeriodicRuns.Beat(name: "beat-1", lock: false, clockOffsetMicros: 0),
                     PeriodicRuns.Beat(name: "beat-2", lock: false, clockOffsetMicros: 5 * Self.second)]
        // Due at 20, 40, 60, 80. beat-2 is 5 s ahead: its send at true 36 s is the 40 s run.
        let runs = judge(.dueTimes([0, 20, 40, 60, 80, 100].map { $0 * Self.second }), beats: beats,
                         sends: [(0, 20), (1, 36), (0, 40), (0, 80)])
        let figure = runs.summary().entries[0]
        #expect(figure.due == 4 && figure.sends == 4)
        #expect(figure.duplicates == 1 && figure.missed == 1)
        #expect(figure.duplicateCauses.map(\.cause) == ["two beats held no lock (beat-2 and beat-1 both sent it)"])
        #expect(figure.missedCauses.map(\.cause) == ["beat clock offset (beat-2's clock is 5s ahead of the true time)"])
        #expect(figure.sendOffsetMicros == RunSummary.Span(min: -4 * Self.second, max: 0))
    }

    @Test("coverage: a change at the same instant replaces the last; a repeat is dropped")
    func coverage() {
        var runs = judge(.interval(everyMicros: Self.second), sends: [])
        runs.cover(from: 5, .noBeat)
        runs.cover(from: 5, .lockLapse(previous: "beat-1", killed: true))
        runs.cover(from: 9, .lockLapse(previous: "beat-1", killed: true))
        #expect(runs.coverage.map(\.fromMicros) == [0, 5])
        #expect(runs.coverage.last?.state == .lockLapse(previous: "beat-1", killed: true))
    }
}
