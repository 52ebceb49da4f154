import FleetControl
@testable import RealRun
import Scenarios
@testable import Simulation
import Testing
import WorkerCore

/// The same readings driven through both drivers' adapters must give the same actions, as the
/// broker conformance suite holds the simulated broker to Redis: the simulator's adapter runs on
/// an event queue, the real run's on `nextDue` and `tick`, and neither may decide anything.
@Suite("Fleet scaler adapters: the simulator's and the real run's carry out the same actions")
struct AdapterParityTests {
    struct Case: CustomStringConvertible {
        let description: String
        let scenario: Scenario
        /// The backlog at each poll, one value per polling interval (the last one repeats).
        let backlogs: [Int]
        /// How long a warm-stopped replica takes to exit (nil: it outlives its grace and is killed).
        let drain: @Sendable (Int) -> TimeSpan?
    }

    static let end = ScalerScenarios.at(600)

    static func cases() throws -> [Case] {
        let oddNeverDrain: @Sendable (Int) -> TimeSpan? = { $0 % 2 == 1 ? nil : .seconds(5) }
        let wave = [1, 4, 6, 6, 2, 0, 0, 3, 6, 1, 1, 0, 5, 5, 0]
        return [
            Case(description: "start-up longer than the polling interval: starts cancelled and asked for again",
                 scenario: try ScalerScenarios.scenario(replicas: 6, startup: 40, grace: 20), backlogs: wave, drain: oddNeverDrain),
            Case(description: "start-up and grace equal to the polling interval: starts and kills at poll instants",
                 scenario: try ScalerScenarios.scenario(count: 2, replicas: 6, startup: 15, grace: 15), backlogs: wave, drain: oddNeverDrain),
            Case(description: "scale-down stabilization and a long grace",
                 scenario: try ScalerScenarios.scenario(replicas: 6, minReplicas: 1, startup: 5, grace: 50, stabilization: 45),
                 backlogs: wave + wave.reversed(), drain: { $0 == 4 ? nil : .seconds(Double($0 * 7)) }),
        ]
    }

    /// The simulator's adapter: its scaler events on an event queue, handled in (time, insertion) order.
    func runSimulatorAdapter(_ test: Case) -> RecordingFleet {
        let fleet = makeFleet(test)
        let scaler = SimFleetScaler(scenario: test.scenario, start: ScalerScenarios.at(0))
        scaler.begin(fleet, now: ScalerScenarios.at(0))
        while let time = fleet.events.nextTime, time <= Self.end, let (_, event) = fleet.events.pop() {
            fleet.clock = time
            switch event {
            case .scalerTick(let index): scaler.poll(scaler: index, fleet, now: time)
            case .scalerStart(let worker): scaler.startDue(simIndex: worker, fleet, now: time)
            case .scalerGraceOver(let worker, let generation): scaler.graceOver(simIndex: worker, generation: generation, fleet, now: time)
            default: Issue.record("the scaler scheduled a \(event)")
            }
        }
        return fleet
    }

    /// The real run's adapter: ticked whenever it says something is due.
    func runRealAdapter(_ test: Case) -> (RecordingFleet, [String]) {
        let fleet = makeFleet(test)
        let scaler = RealFleetScaler(scenario: test.scenario, world: fleet)
        while let due = scaler.nextDue, due.microseconds <= Self.end.microsecondsSinceEpoch {
            fleet.clock = Instant(microsecondsSinceEpoch: due.microseconds)
            scaler.tick(now: due)
        }
        let decisions = scaler.polls.map { poll in
            RecordingFleet.decision(at: Instant(microsecondsSinceEpoch: poll.atMicros), desired: poll.figures.desiredWorkers,
                                    list: poll.figures.kedaListLength, backlog: poll.figures.celeryBacklog)
        }
        return (fleet, decisions)
    }

    func makeFleet(_ test: Case) -> RecordingFleet {
        let spec = test.scenario.fleet[0].scaler!
        let backlogs = test.backlogs
        return RecordingFleet(replicas: spec.maxReplicas, count: test.scenario.fleet[0].count, drain: test.drain) { now in
            let poll = Int((now - ScalerScenarios.at(0)).microseconds / spec.pollingInterval.microseconds) - 1
            return backlogs[min(max(poll, 0), backlogs.count - 1)]
        }
    }

    @Test("same readings, same actions in the same order", arguments: try cases())
    func sameActions(_ test: Case) {
        let simulated = runSimulatorAdapter(test)
        let (real, realDecisions) = runRealAdapter(test)
        #expect(simulated.actions == real.actions)
        #expect(simulated.decisions == realDecisions)
        // The case exercises what it is meant to: starts, warm stops and kills all happen.
        for action in ["start", "warm-stop", "kill"] {
            #expect(simulated.actions.contains { $0.contains(" \(action) ") }, "no \(action) in \(test)")
        }
        #expect(simulated.decisions.count == 40)
    }
}
