import Testing
import Scenarios
import Simulation
@testable import Exploration

/// The periodic invariants explore, replay and shrink check: a run sent twice for one due time, a
/// due time with no send, each with its cause; the scenario's `invariants:` can allow some.
@Suite("periodic invariants")
struct PeriodicInvariantTests {
    static func scenario(beats: String, faults: String = "", invariants: String = "") throws -> Scenario {
        try ScenarioLoader.parse(yaml: """
            name: periodic
            duration: 10m
            drain: 1m
            fleet: [{name: worker, queues: [celery]}]
            tasks: [{name: app.work, duration: 10ms}, {name: app.refresh, duration: 10ms}]
            load: {phases: [{duration: 10m, rate: 0.05/s}], mix: {app.work: 1}}
            schedule:
              \(beats)
              entries:
                refresh: {task: app.refresh, schedule: {every: 10s}}
                tick: {task: app.refresh, schedule: {crontab: "* * * * *"}}
            \(faults)
            \(invariants)
            """, sourcePath: "periodic.yaml")
    }

    func breaches(_ scenario: Scenario) throws -> [Breach] {
        InvariantCheck.breaches(of: try Simulator(scenario: scenario).run(), scenario: scenario)
    }

    @Test("two beats without the lock break periodic_duplicate, naming the cause for every entry")
    func duplicates() throws {
        let found = try breaches(try Self.scenario(beats: "beats: 2\n  lock: false"))
        #expect(found.map(\.invariant) == [.periodicDuplicate])
        #expect(found[0].subjects == ["refresh", "tick"])
        #expect(found[0].detail == "refresh: 59× two beats held no lock (beat-1 and beat-2 both sent it); "
                + "tick: 9× two beats held no lock (beat-1 and beat-2 both sent it)")
        let allowed = try breaches(try Self.scenario(beats: "beats: 2\n  lock: false", invariants: "invariants: {periodic_duplicate: 68}"))
        #expect(allowed.isEmpty)
    }

    @Test("a killed holder breaks periodic_missed unless the scenario allows it")
    func missed() throws {
        let faults = "faults: [{at: 2m5s, kill_beat: 1}]"
        let found = try breaches(try Self.scenario(beats: "beats: 2", faults: faults))
        #expect(found.map(\.invariant) == [.periodicMissed])
        #expect(found[0].detail.hasPrefix("refresh: 2× lock takeover after the holder was killed (beat-1 killed at 00:02:05.000"))
        #expect(try breaches(try Self.scenario(beats: "beats: 2", faults: faults, invariants: "invariants: {periodic_missed: false}")).isEmpty)
        #expect(Invariant(named: "periodic_missed") == .periodicMissed)
        #expect(Invariant(named: "periodic_duplicate") == .periodicDuplicate)
    }

    @Test("swarm testing switches beat faults like any other kind; a replay tells a beat send's story")
    func swarmAndStory() throws {
        let scenario = try Self.scenario(beats: "beats: 2", faults: "faults: [{at: 2m5s, kill_beat: 1}, {at: 3m, start_beat: {lock: false}}]")
        #expect(scenario.faults.map(\.kind.swarmKind) == ["kill_beat", "start_beat"])
        let replay = try Replay(base: scenario, seed: 1, swarm: false, task: "b1")
        #expect(replay.stories.first?.lines.first == "00:00:10.000  sent by beat-1 for the periodic entry refresh")
        #expect(replay.stories.first?.lines.contains { $0.contains("published to queue celery") } == true)
    }
}
