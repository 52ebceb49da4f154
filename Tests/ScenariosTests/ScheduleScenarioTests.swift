import Schedules
import Testing
@testable import Scenarios

/// A scenario's `schedule:`: the schedule file's keys plus how the simulated beats run, and the beat
/// faults; every mistake is refused before anything runs, at its line and key path.
@Suite("schedule: in a scenario")
struct ScheduleScenarioTests {
    static func yaml(schedule: String, faults: String = "", tasks: String = "") -> String {
        """
        name: beat
        duration: 30m
        fleet:
          - {name: worker, queues: [celery, reports]}
        tasks:
          - {name: app.work}
          - {name: app.refresh}
          - {name: app.report, queue: reports}
        \(tasks)
        load:
          phases: [{duration: 30m, rate: 1/s}]
          mix: {app.work: 1}
        schedule:
        \(schedule)
        \(faults)
        """
    }

    static let entries = """
          entries:
            refresh: {task: app.refresh, schedule: {every: 1m}}
            report: {task: app.report, schedule: {crontab: "*/5 * * * *"}}
        """

    func load(_ text: String) throws -> Scenario { try ScenarioLoader.parse(yaml: text, sourcePath: "b.yaml") }

    func failure(_ text: String) throws -> ScenarioError {
        let error = #expect(throws: ScenarioError.self) { try load(text) }
        return try #require(error)
    }

    @Test("the defaults: one beat with the lock, 30 s expiry, 5 min max interval, virtual 0 at 2026-01-01")
    func defaults() throws {
        let schedule = try #require(try load(Self.yaml(schedule: Self.entries)).schedule)
        #expect(schedule.spec.entries.map(\.name) == ["refresh", "report"])
        #expect(schedule.beats == [BeatSpec()])
        #expect(schedule.lock && schedule.lockTimeoutMicros == 30_000_000 && schedule.renewEveryMicros == 10_000_000)
        #expect(schedule.maxIntervalMicros == 300_000_000)
        #expect(schedule.startAtMicros == 1_767_225_600_000_000)
    }

    @Test("every simulation key reads, beats as a count or one mapping each")
    func simulationKeys() throws {
        let text = Self.yaml(schedule: """
              start_at: 2026-12-04T02:50:00+01:00
              timezone: Europe/London
              lock: false
              lock_timeout: 12s
              max_interval: 1m
              beats: [{}, {clock_offset: -20s}, {lock: true, clock_offset: 1m30s}]
            \(Self.entries)
            """)
        let schedule = try #require(try load(text).schedule)
        #expect(schedule.startAtMicros == 1_796_349_000_000_000)   // 2026-12-04T01:50:00Z
        #expect(schedule.spec.zone.identifier == "Europe/London")
        #expect(!schedule.lock && schedule.lockTimeoutMicros == 12_000_000 && schedule.maxIntervalMicros == 60_000_000)
        #expect(schedule.beats == [BeatSpec(), BeatSpec(clockOffsetMicros: -20_000_000), BeatSpec(lock: true, clockOffsetMicros: 90_000_000)])
        #expect(schedule.beats.map(schedule.usesLock) == [false, false, true])
        let counted = try #require(try load(Self.yaml(schedule: "  beats: 3\n" + Self.entries)).schedule)
        #expect(counted.beats.count == 3)
    }

    @Test("beat faults read, numbered after the schedule's beats in file order")
    func beatFaults() throws {
        let scenario = try load(Self.yaml(schedule: "  beats: 2\n" + Self.entries, faults: """
            faults:
              - {at: 5m, start_beat: {lock: false, clock_offset: 30s}}
              - {at: 6m, kill_beat: 1}
              - {at: 7m, restart_beat: beat-3, down_for: 5m}
              - {at: 8m, start_beat: {}}
              - {at: 9m, kill_beat: 4}
              - {at: 9m, restart_beat: 2}
            """))
        #expect(scenario.faults.map(\.kind) == [
            .startBeat(3, BeatSpec(lock: false, clockOffsetMicros: 30_000_000)), .killBeat(1),
            .restartBeat(3, downFor: .seconds(300)), .startBeat(4, BeatSpec()), .killBeat(4), .restartBeat(2, downFor: .zero),
        ])
    }

    @Test("an entry's unknown task: its line, key path and the nearest declared name")
    func unknownTask() throws {
        let error = try failure(Self.yaml(schedule: """
              entries:
                refresh: {task: app.refrsh, schedule: {every: 1m}}
            """))
        #expect(error.line == 15)
        #expect(error.keyPath == "schedule.entries.refresh.task")
        #expect(error.message.contains("unknown task \"app.refrsh\" (did you mean \"app.refresh\"?)"))
    }

    @Test("an entry sent to a queue nobody consumes: by its options.queue or by its task type")
    func unconsumedQueue() throws {
        let byOption = try failure(Self.yaml(schedule: """
              entries:
                refresh: {task: app.refresh, schedule: {every: 1m}, options: {queue: report}}
            """))
        #expect(byOption.keyPath == "schedule.entries.refresh.options.queue")
        #expect(byOption.line == 15)
        #expect(byOption.message.contains("queue \"report\", which no worker group consumes"))
        #expect(byOption.message.contains("Did you mean \"reports\"?"))
        // Without options.queue the entry goes where its type goes: the type's own check names it.
        let byType = try failure(Self.yaml(schedule: """
              entries:
                nightly: {task: app.nightly, schedule: {crontab: "0 3 * * *"}}
            """, tasks: "  - {name: app.nightly, queue: batch}"))
        #expect(byType.all.map(\.keyPath) == ["tasks[3].queue"])
        // Excused like any other queue.
        let excused = Self.yaml(schedule: """
              entries:
                nightly: {task: app.nightly, schedule: {crontab: "0 3 * * *"}}
            """, tasks: "  - {name: app.nightly, queue: batch}") + "\nunconsumed_queues: [batch]"
        #expect(try load(excused).schedule?.spec.entries.count == 1)
    }

    @Test("a beat fault naming a beat that does not run by then")
    func badBeatIndex() throws {
        let unknown = try failure(Self.yaml(schedule: "  beats: 2\n" + Self.entries, faults: """
            faults:
              - {at: 5m, kill_beat: 3}
            """))
        #expect(unknown.keyPath == "faults[0].kill_beat")
        #expect(unknown.line == 19)
        #expect(unknown.message.contains("unknown beat beat-3"))
        #expect(unknown.message.contains("beat-1..beat-2"))
        let tooEarly = try failure(Self.yaml(schedule: Self.entries, faults: """
            faults:
              - {at: 5m, restart_beat: 2, down_for: 1m}
              - {at: 6m, start_beat: {}}
            """))
        #expect(tooEarly.keyPath == "faults[0].restart_beat")
        #expect(tooEarly.message.contains("which a start_beat starts only later"))
        let zero = try failure(Self.yaml(schedule: Self.entries, faults: "faults:\n  - {at: 5m, kill_beat: 0}"))
        #expect(zero.keyPath == "faults[0].kill_beat")
    }

    @Test("down_for only with restart_beat; beat faults only with a schedule; some beat must run")
    func misplacedBeatKeys() throws {
        let downFor = try failure(Self.yaml(schedule: Self.entries, faults: "faults:\n  - {at: 5m, kill_beat: 1, down_for: 1m}"))
        #expect(downFor.keyPath == "faults[0].down_for")
        let noSchedule = try failure("""
            name: x
            duration: 1m
            fleet: [{name: w}]
            tasks: [{name: a}]
            load: {phases: [{duration: 1m, rate: 1/s}]}
            faults:
              - {at: 5s, kill_beat: 1}
            """)
        #expect(noSchedule.keyPath == "faults[0].kill_beat")
        #expect(noSchedule.message.contains("no beat runs without a schedule"))
        let none = try failure(Self.yaml(schedule: "  beats: 0\n" + Self.entries))
        #expect(none.keyPath == "schedule.beats")
        #expect(try load(Self.yaml(schedule: "  beats: 0\n" + Self.entries, faults: "faults:\n  - {at: 1m, start_beat: {}}")).schedule != nil)
    }

    @Test("a bad start_at, clock_offset or lock_timeout is refused at its line", arguments: [
        ("  start_at: 2026-12-04T01:50:00", "schedule.start_at", "with its zone"),
        ("  start_at: 2026-13-04T01:50:00Z", "schedule.start_at", "ISO 8601"),
        ("  start_at: tomorrow", "schedule.start_at", "ISO 8601"),
        ("  beats: [{clock_offset: soon}]", "schedule.beats[0].clock_offset", "duration"),
        ("  lock_timeout: 1ms", "schedule.lock_timeout", "at least 3ms"),
        ("  beats: [{lokc: true}]", "schedule.beats[0].lokc", "did you mean \"lock\""),
    ])
    func badSimulationKeys(line: String, keyPath: String, says: String) throws {
        let error = try failure(Self.yaml(schedule: line + "\n" + Self.entries))
        #expect(error.keyPath == keyPath)
        #expect(error.line == 14)
        #expect(error.message.contains(says), "\(error.message)")
    }

    @Test("ISO 8601 instants: zones, fractions, and the UTC form back")
    func instants() {
        #expect(InstantText.parse("2026-01-01T00:00:00Z") == 1_767_225_600_000_000)
        #expect(InstantText.parse("2026-01-01T01:00:00+01:00") == 1_767_225_600_000_000)
        #expect(InstantText.parse("2025-12-31T19:00-0500") == 1_767_225_600_000_000)
        #expect(InstantText.parse("2026-01-01 00:00:00.25Z") == 1_767_225_600_250_000)
        #expect(InstantText.parse("2026-02-29T00:00:00Z") == nil)
        #expect(InstantText.parse("2026-01-01T00:00:00Zjunk") == nil)
        #expect(InstantText.format(1_767_225_600_250_000) == "2026-01-01T00:00:00.250000Z")
    }

    @Test("the periodic invariants are named in invariants:, with true, false or a count")
    func invariantsKeys() throws {
        let text = Self.yaml(schedule: Self.entries) + "\ninvariants: {periodic_missed: 3, periodic_duplicate: false}"
        let scenario = try load(text)
        #expect(scenario.invariants.periodicMissedAllowed == 3)
        #expect(scenario.invariants.periodicDuplicatesAllowed == nil)
        #expect(try load(Self.yaml(schedule: Self.entries)).invariants.periodicMissedAllowed == 0)
    }

    @Test("the periodic counts are assertion metrics")
    func metrics() throws {
        for name in ["periodic_sends", "periodic_due", "periodic_duplicates", "periodic_missed"] {
            #expect(Metrics.kind(of: name) == .count)
        }
        #expect(try Assertion.parse("periodic_missed == 0").metric == "periodic_missed")
    }
}
