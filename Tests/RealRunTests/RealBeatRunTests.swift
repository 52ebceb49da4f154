import CeleryWire
import Foundation
@testable import RealRun
import Reports
import Scenarios
import Testing
import WorkerCore

/// A real run's beats, in the parts that need no process: what the run refuses, the schedule file
/// its beats read (each send resolved as the simulator resolves it), their log lines, and the
/// periodic figures judged from those lines and the run's own process changes.
@Suite("real-run beats")
struct RealBeatRunTests {
    static let yaml = """
        name: beats
        duration: 20s
        fleet:
          - {name: worker, queues: [celery, reports]}
        routes:
          'reports.*': reports
        tasks:
          - {name: reports.daily, duration: {uniform: {min: 10ms, max: 30ms}}, priority: 3, expires: 1m}
          - {name: tick, duration: 5ms, countdown: 2s}
        load:
          phases: [{duration: 20s, rate: 1/s}]
          mix: {tick: 1}
        schedule:
          start_at: 2026-12-04T02:00:00Z
          beats: [{}, {clock_offset: -3s}]
          lock_timeout: 2s
          entries:
            nightly:
              task: reports.daily
              schedule: {crontab: "30 2 * * *"}
              options: {priority: 7, headers: {origin: beat}}
            every-second:
              task: tick
              schedule: {every: 1s}
              options: {queue: reports, countdown: 500ms}
        faults:
          - {at: 8s, kill_beat: 1}
          - {at: 9s, start_beat: {lock: false}}
        """

    static func scenario(_ text: String = yaml) throws -> Scenario { try ScenarioLoader.parse(yaml: text, sourcePath: "beats.yaml") }

    @Test("refused: a crontab at a time scale, a pipeline's root as an entry, a scaled lock below 300ms, two locking Celery beats")
    func refusals() throws {
        let scenario = try Self.scenario()
        #expect(RealRunSupport.problems(in: scenario, target: .lovage) == [])
        let scaled = RealRunSupport.problems(in: scenario, target: .lovage, timeScale: 0.1)
        #expect(scaled.count == 2)
        #expect(scaled[0].hasPrefix("schedule.entries.nightly.schedule: crontab \"30 2 * * *\" cannot be time-scaled"))
        #expect(scaled[1].hasPrefix("schedule.lock_timeout: 200ms at --time-scale 0.1, below lovage beat's minimum of 300ms"))
        let celery = RealRunSupport.problems(in: scenario, target: .celery)
        #expect(celery == ["schedule: 3 beats with the lock (beat-1, beat-2) under --target celery: Celery beat has no lock, so every one of them would send every run; use lock: false to see that, or one beat"])
        let unlocked = try Self.scenario(Self.yaml.replacingOccurrences(of: "lock_timeout: 2s", with: "lock: false"))
        #expect(RealRunSupport.problems(in: unlocked, target: .celery) == [])
        let pipeline = try Self.scenario(Self.yaml.replacingOccurrences(of: "countdown: 2s}", with: "countdown: 2s, then: [reports.daily]}"))
        #expect(RealRunSupport.problems(in: pipeline, target: .lovage)
            == ["schedule.entries.every-second.task: tick starts a pipeline (then/fan_out); a beat sends it as a plain task, so the rest of the pipeline would not run for real"])
    }

    @Test("the schedule file: the entry's options over its type's route, priority, countdown and expiry; the body's kwargs for its args")
    func scheduleFile() throws {
        let scenario = try Self.scenario()
        let json = BeatScheduleFile.json(scenario: scenario, start: Date(timeIntervalSince1970: 1_000), slowWindows: [])
        let entries = try #require(json.objectValue?["entries"]?.objectValue)
        let nightly = try #require(entries["nightly"]?.objectValue)
        #expect(nightly["schedule"] == .object(["crontab": .object(["minute": "30", "hour": "2", "day_of_week": "*",
                                                                     "day_of_month": "*", "month_of_year": "*"])]))
        // Routed to reports; the entry's priority wins; the type's expiry fills in.
        #expect(nightly["options"] == .object(["queue": "reports", "priority": .int(7), "expires": .double(60),
                                               "headers": .object(["origin": "beat"])]))
        #expect(nightly["args"] == .array([]))
        #expect(nightly["kwargs"]?.objectValue?["duration_ms"] == .double(20), "the median of uniform 10–30 ms")
        let tick = try #require(entries["every-second"]?.objectValue)
        #expect(tick["schedule"] == .object(["every": .double(1), "relative": .bool(false)]))
        #expect(tick["options"] == .object(["queue": "reports", "countdown": .double(0.5)]))
        #expect(json.objectValue?["timezone"] == "UTC")
    }

    @Test("beat log lines: sends with their ids, lock takeovers and losses, a deadline skip; the rest skipped")
    func logLines() throws {
        let text = """
            celery beat v5.7.0 (collider) is starting.
            [2026-12-04 22:58:14,502: INFO/MainProcess] Scheduler: Sending due task every second (x) (tick)
            [2026-12-04 22:58:14,503: DEBUG/MainProcess] tick sent. id->7c5c28bb-33a9
            [2026-12-04 22:58:15,000: INFO/MainProcess] beat: holding the lock lovage:beat:lock (expiry 2.0s, renewed every 0.7s)
            [2026-12-04 22:58:16,000: WARNING/MainProcess] beat: the lock lovage:beat:lock is now held by beat@b; this beat stops sending
            [2026-12-04 22:58:17,000: WARNING/MainProcess] beat: nightly passed 3 due times since its last send at 2026-12-01T02:30:00+00:00; none is sent, the last is older than beat_cron_starting_deadline
            [2026-12-04 22:58:18,000: INFO/MainProcess] beat: Waking up in 1.00 second.
            """
        let events = BeatLog.events(in: text)
        let at = try CeleryTimestamp.parse("2026-12-04T22:58:14.502Z")
        #expect(events == [
            BeatLogEvent(atUnixMicros: at, kind: .send(entry: "every second (x)", task: "tick")),
            BeatLogEvent(atUnixMicros: at + 1_000, kind: .sentID(task: "tick", id: "7c5c28bb-33a9")),
            BeatLogEvent(atUnixMicros: at + 498_000, kind: .lockTaken),
            BeatLogEvent(atUnixMicros: at + 1_498_000, kind: .lockLost),
            BeatLogEvent(atUnixMicros: at + 2_498_000,
                         kind: .deadlineSkip(entry: "nightly", lastRunMicros: try CeleryTimestamp.parse("2026-12-01T02:30:00Z"))),
        ])
    }

    @Test("judged as the simulator judges: the holder killed, a standby's takeover within the lock timeout, the misses named so")
    func takeoverJudged() throws {
        var scenario = try Self.scenario()
        scenario.schedule!.spec.entries.removeFirst()   // the interval entry only
        let start: Int64 = 1_800_000_000_000_000, second: Int64 = 1_000_000
        let runs = RealPeriodicRuns(schedule: scenario.schedule!, lineup: scenario.scheduledBeats, duration: scenario.duration,
                                    runStartUnixMicros: start)
        // beat-1 holds from 0.01 s and sends at 1…7 s; killed at 8 s; beat-2 takes over at 9.7 s and sends 9.7…19.7 s.
        var beat1 = [BeatLogEvent(atUnixMicros: start + 10_000, kind: .lockTaken)]
        for n in 1...7 {
            beat1.append(BeatLogEvent(atUnixMicros: start + Int64(n) * second, kind: .send(entry: "every-second", task: "tick")))
            beat1.append(BeatLogEvent(atUnixMicros: start + Int64(n) * second, kind: .sentID(task: "tick", id: "a\(n)")))
        }
        var beat2 = [BeatLogEvent(atUnixMicros: start + 9_700_000, kind: .lockTaken)]
        for n in 0...10 {
            beat2.append(BeatLogEvent(atUnixMicros: start + 9_700_000 + Int64(n) * second, kind: .send(entry: "every-second", task: "tick")))
        }
        let processes = [BeatProcesses.Event(atUnixMicros: start + 1_000, beat: 0, change: .started),
                         BeatProcesses.Event(atUnixMicros: start + 2_000, beat: 1, change: .started),
                         BeatProcesses.Event(atUnixMicros: start + 8 * second, beat: 0, change: .killed)]
        let (summary, tasks) = runs.judge(processes: processes, logs: [beat1, beat2, []], outages: [])
        let entry = summary.entries[0]
        #expect(entry.sends == 18 && entry.duplicates == 0 && entry.missed == 2)
        #expect(entry.missedCauses.map(\.cause)
            == ["lock takeover after the holder was killed (beat-1 killed at 00:00:08.000, the lock taken again at 00:00:09.700)"])
        #expect(summary.beats.map(\.sends) == [7, 11, 0])
        #expect(summary.beats.map(\.lockTaken) == [1, 1, 0])
        #expect(tasks.map(\.id) == (1...7).map { "a\($0)" })
        #expect(tasks.first?.sentAtRunMicros == second)
    }

    @Test("coverage replay: a stop releases the lock (a handover), a kill keeps it (a takeover), no beat alive, the broker down")
    func coverage() throws {
        let scenario = try Self.scenario()
        var replay = CoverageReplay(lineup: scenario.scheduledBeats)
        #expect(replay.state == .noBeat)
        replay.apply(.started(0)); replay.apply(.started(1))
        #expect(replay.state == .lockLapse(previous: "none", killed: false))
        replay.apply(.lockTaken(0))
        #expect(replay.state == .sending)
        replay.apply(.stopped(0))
        #expect(replay.state == .lockLapse(previous: "beat-1", killed: false))
        replay.apply(.lockTaken(1)); replay.apply(.killed(1))
        #expect(replay.state == .noBeat)
        replay.apply(.started(0))
        #expect(replay.state == .lockLapse(previous: "beat-2", killed: true))
        replay.apply(.brokerDown)
        #expect(replay.state == .brokerDown)
        replay.apply(.brokerUp); replay.apply(.started(2))
        #expect(replay.state == .sending, "beat-3 sends without the lock")
    }
}
