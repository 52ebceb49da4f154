import Foundation
import Reports
import Scenarios
import Schedules
import Simulation
import Testing
import WorkerCore

/// Simulated beats: they send a schedule's entries in virtual time through `BeatScheduler`, share
/// the lock as `lovage beat` does, and the periodic figures name every duplicate and missed run.
@Suite("beats in the simulator")
struct BeatSimulationTests {
    /// 2026-12-04T01:50:00Z: virtual time 0 in these scenarios.
    static let startAt: Int64 = 1_796_349_000_000_000
    static let minute: Int64 = 60_000_000

    static func yaml(schedule: String, faults: String = "", extra: String = "") -> String {
        """
        name: beats
        duration: 30m
        drain: 1m
        fleet:
          - {name: worker, count: 1, concurrency: 2, queues: [celery, reports]}
        tasks:
          - {name: app.work, duration: 10ms}
          - {name: app.refresh, duration: 50ms}
          - {name: app.report, duration: 100ms, queue: reports}
        load:
          phases: [{duration: 30m, rate: 0.05/s}]
          mix: {app.work: 1}
        schedule:
          start_at: 2026-12-04T01:50:00Z
        \(schedule)
          entries:
            refresh: {task: app.refresh, schedule: {every: 10s}}
            report: {task: app.report, schedule: {crontab: "*/5 * * * *"}}
        \(faults)
        \(extra)
        """
    }

    struct Run {
        var summary: RunSummary
        var periodic: RunSummary.PeriodicSummary
        /// Each beat record of the trace: (virtual µs, kind, fields).
        var records: [(micros: Int64, kind: String, fields: [String: String])]

        func entry(_ name: String) -> RunSummary.PeriodicFigures { periodic.entries.first { $0.entry == name }! }

        /// (virtual µs, beat) of each send of an entry.
        func sends(_ entry: String) -> [(micros: Int64, beat: String)] {
            records.filter { $0.kind == "beat-send" && $0.fields["entry"] == entry }.map { ($0.micros, $0.fields["beat"]!) }
        }
    }

    func run(_ text: String, seed: UInt64? = nil) throws -> Run {
        let scenario = try ScenarioLoader.parse(yaml: text, sourcePath: "beats.yaml")
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lovage-beats-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Simulator(scenario: scenario, options: SimulationOptions(seed: seed, tracePath: path)).run()
        var records: [(Int64, String, [String: String])] = []
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") where line.contains("\"ev\":\"beat-") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let seconds = (object["t"] as! NSNumber).doubleValue
            var fields: [String: String] = [:]
            for (key, value) in object where key != "t" && key != "ev" { fields[key] = value as? String }
            records.append((Int64((seconds * 1_000_000).rounded()), object["ev"] as! String, fields))
        }
        return Run(summary: result.summary, periodic: try #require(result.summary.periodic), records: records)
    }

    @Test("one beat: the interval entry every period from start, the crontab at its minutes (Schedule.dueTimes)")
    func singleBeat() throws {
        let run = try run(Self.yaml(schedule: ""))
        let refresh = run.sends("refresh")
        // Due 10 s after the start, then every 10 s, until the end of the load (30 min, exclusive).
        #expect(refresh.map(\.micros) == (1..<180).map { Int64($0) * 10_000_000 })
        let crontab = try CrontabSchedule(expression: "*/5 * * * *")
        let due = Schedule.crontab(crontab).dueTimes(after: Self.startAt, through: Self.startAt + 30 * Self.minute - 1, zone: .utc)
        #expect(due.count == 5)
        let report = run.sends("report")
        #expect(report.count == due.count)
        for (sent, time) in zip(report, due) {
            // One send per tick: a crontab due with the interval goes out one pass (1 ms) after it.
            let late = Self.startAt + sent.micros - time
            #expect(late >= 0 && late <= 1_000, "sent \(late) µs after its due time")
        }
        #expect(run.entry("refresh").due == 179 && run.entry("refresh").duplicates == 0 && run.entry("refresh").missed == 0)
        #expect(run.entry("report").due == 5 && run.entry("report").sends == 5)
        #expect(run.summary.byTask.first { $0.task == "app.report" }?.succeeded == 5)
        #expect(run.summary.invariantViolations.isEmpty)
        #expect(run.summary.metric("periodic_sends") == 184 && run.summary.metric("periodic_missed") == 0)
    }

    @Test("two beats sharing the lock: one sends, each run goes out once")
    func twoBeatsWithTheLock() throws {
        let run = try run(Self.yaml(schedule: "  beats: 2"))
        #expect(run.periodic.duplicates == 0 && run.periodic.missed == 0)
        #expect(run.periodic.sends == run.periodic.due)
        #expect(run.periodic.beats.map(\.sends) == [184, 0])
        #expect(run.periodic.beats.map(\.lockTaken) == [1, 0])
    }

    @Test("two beats without the lock: every run twice, and the invariant names the cause")
    func twoBeatsWithoutTheLock() throws {
        let run = try run(Self.yaml(schedule: "  beats: 2\n  lock: false"))
        for name in ["refresh", "report"] {
            let entry = run.entry(name)
            #expect(entry.sends == 2 * entry.due && entry.duplicates == entry.due && entry.missed == 0)
            #expect(entry.duplicateCauses.map(\.cause) == ["two beats held no lock (beat-1 and beat-2 both sent it)"])
        }
        let violations = run.summary.invariantViolations.filter { $0.invariant == Simulator.periodicDuplicateInvariant }
        #expect(violations.map(\.subject) == ["refresh", "report"])
        #expect(violations[0].detail == "179× two beats held no lock (beat-1 and beat-2 both sent it)")
        // Allowed by the scenario: counted, not a violation.
        let allowed = try self.run(Self.yaml(schedule: "  beats: 2\n  lock: false", extra: "invariants: {periodic_duplicate: false}"))
        #expect(allowed.periodic.duplicates == 184 && allowed.summary.invariantViolations.isEmpty)
    }

    @Test("the holder killed: the standby takes over within lock_timeout; the runs in between are missed")
    func killedHolder() throws {
        let run = try run(Self.yaml(schedule: "  beats: 2", faults: "faults:\n  - {at: 5m5s, kill_beat: 1}"))
        let kill = 5 * Self.minute + 5_000_000
        let taken = try #require(run.records.first { $0.kind == "beat-lock-taken" && $0.fields["beat"] == "beat-2" })
        #expect(taken.micros > kill && taken.micros <= kill + 30_000_000 + 2_000)
        #expect(taken.fields["previous"] == "beat-1")
        #expect(run.records.contains { $0.kind == "beat-kill" && $0.fields["holding"] == "true" })
        let refresh = run.entry("refresh")
        // Sent at 5m00s, then nothing until the takeover (one catch-up send), 10 s apart after that.
        let gap = taken.micros - 5 * Self.minute
        #expect(refresh.missed == PeriodicRuns.missedRuns(gapMicros: gap, everyMicros: 10_000_000))
        #expect(refresh.missed >= 2)
        #expect(refresh.missedCauses.count == 1)
        #expect(refresh.missedCauses[0].cause.hasPrefix("lock takeover after the holder was killed (beat-1 killed at 00:05:05.000"))
        #expect(run.sends("refresh").contains { $0.micros == taken.micros && $0.beat == "beat-2" })
        #expect(run.entry("report").missed == 0 && run.periodic.duplicates == 0)
        #expect(run.summary.invariantViolations.map(\.invariant) == [Simulator.periodicMissedInvariant])
    }

    @Test("restart_beat after a downtime: one catch-up send per entry, the collapsed due times missed")
    func restartAfterDowntime() throws {
        let run = try run(Self.yaml(schedule: "", faults: "faults:\n  - {at: 6m, restart_beat: 1, down_for: 12m}"))
        #expect(run.records.contains { $0.kind == "beat-stop" && $0.fields["released"] == "true" })
        let back = 18 * Self.minute
        // Each entry goes out once at the restart (Celery's catch-up), never more.
        #expect(run.sends("refresh").filter { $0.micros >= back && $0.micros < back + 1_000_000 }.count == 1)
        #expect(run.sends("report").filter { $0.micros >= back && $0.micros < back + 1_000_000 }.count == 1)
        #expect(run.records.filter { $0.kind == "beat-catch-up" && $0.fields["action"] == "sent once" }.count == 2)
        // The crontab was due at 10m and 15m: the catch-up belongs to 15m, 10m is missed.
        let report = run.entry("report")
        #expect(report.missed == 1 && report.duplicates == 0)
        #expect(report.missedCauses.map(\.cause) == ["no beat running from 00:06:00.000 to 00:18:00.000"])
        #expect(report.missedCauses[0].firstAtSeconds == 600)
        let refresh = run.entry("refresh")
        #expect(refresh.missed == 72)   // due 6m00s … 17m50s; the one at 18m is the catch-up
        #expect(refresh.missedCauses.map(\.cause) == ["no beat running from 00:06:00.000 to 00:18:00.000"])
    }

    @Test("a downtime past beat_cron_starting_deadline: the crontab is not caught up, and the miss says why")
    func startingDeadline() throws {
        let run = try run(Self.yaml(schedule: "  beat_cron_starting_deadline: 1m",
                                    faults: "faults:\n  - {at: 6m, restart_beat: 1, down_for: 12m}"))
        let report = run.entry("report")
        #expect(report.missed == 2)
        #expect(report.missedCauses.map(\.cause) == ["no beat running from 00:06:00.000 to 00:18:00.000",
                                                     "beyond beat_cron_starting_deadline (not caught up when a beat took over at 00:18:00.000)"])
        #expect(run.records.contains { $0.kind == "beat-catch-up" && $0.fields["entry"] == "report"
                                          && $0.fields["action"] == "skipped: beyond beat_cron_starting_deadline" })
        // Intervals have no deadline: caught up once.
        #expect(run.entry("refresh").missed == 72)
    }

    @Test("a beat's clock offset shifts its sends; one that takes over ahead of the others duplicates an interval run")
    func clockOffset() throws {
        let ahead = try run(Self.yaml(schedule: "  beats: [{clock_offset: 30s}]"))
        let report = ahead.entry("report")
        // The 02:20 run, at the end of the load, goes out at 02:19:30 true time: a send beyond the window.
        #expect(report.sends == 6 && report.due == 5 && report.missed == 0 && report.duplicates == 0)
        // The 01:55 run goes out at 01:54:30 true time (+1 ms: one send per tick).
        #expect(report.sendOffsetMicros == RunSummary.Span(min: -29_999_000, max: -29_999_000))
        #expect(ahead.sends("report").first?.micros == 4 * Self.minute + 30_000_000 + 1_000)
        // The takeover: beat-1 stops just after its 5m00s send, beat-2 (8 s ahead, looking every
        // 10.001 s: at 300.030 s) adopts its last run and sends the next one 8 s early, under half a
        // 10 s interval after beat-1's: a duplicate of that run, caused by the clocks.
        let takeover = try run(Self.yaml(schedule: "  beats: [{}, {clock_offset: 8s}]",
                                         faults: "faults:\n  - {at: 300.02, restart_beat: 1, down_for: 20m}"))
        let refresh = takeover.entry("refresh")
        #expect(refresh.duplicates == 1)
        #expect(refresh.duplicateCauses.map(\.cause) == ["beat clock offset (beat-2's clock is 8s ahead of beat-1's)"])
    }

    @Test("a broker outage: no beat can send; its runs are missed for that reason and caught up after")
    func brokerOutage() throws {
        let run = try run(Self.yaml(schedule: "  beats: 2", faults: "faults:\n  - {from: 7m, to: 9m, broker_outage: true}"))
        let refresh = run.entry("refresh")
        #expect(refresh.missed > 0)
        #expect(refresh.missedCauses.map(\.cause) == ["broker down from 00:07:00.000 to 00:09:00.000: no beat could send"])
        #expect(run.records.contains { $0.kind == "beat-lock-lost" && $0.fields["holder"] == "broker" })
    }

    @Test("start_beat: a beat joining without the lock sends beside the holder")
    func startBeatWithoutLock() throws {
        let run = try run(Self.yaml(schedule: "", faults: "faults:\n  - {at: 10m, start_beat: {lock: false}}"))
        let refresh = run.entry("refresh")
        #expect(refresh.duplicates == 119)   // 10m10s … 29m50s, each sent by both
        #expect(refresh.duplicateCauses.map(\.cause) == ["two beats held no lock (beat-2 sends without it, beside beat-1 holding it)"])
        #expect(run.periodic.beats.map(\.beat) == ["beat-1", "beat-2"])
    }

    @Test("the same seed gives the same trace hash and summary; the beats' records are in the hash")
    func deterministic() throws {
        let text = Self.yaml(schedule: "  beats: 2", faults: "faults:\n  - {at: 5m5s, kill_beat: 1}\n  - {at: 8m, start_beat: {clock_offset: -3s}}")
        let first = try run(text, seed: 7), second = try run(text, seed: 7)
        #expect(first.summary == second.summary)
        #expect(first.summary.traceHash == second.summary.traceHash)
        let unlocked = try run(Self.yaml(schedule: "  beats: 2\n  lock: false"), seed: 7)
        let locked = try run(Self.yaml(schedule: "  beats: 2"), seed: 7)
        #expect(unlocked.summary.traceHash != locked.summary.traceHash)
        // `lovage compare` gates the periodic figures once a summary has them.
        let rows = SummaryComparison(baseline: locked.summary, new: unlocked.summary, tolerancePercent: 0).rows
        let duplicates = try #require(rows.first { $0.figure == "periodic_duplicates" })
        #expect(duplicates.baseline == 0 && duplicates.new == 184)
    }
}
