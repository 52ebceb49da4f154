import Testing
import Scenarios
import Simulation
@testable import Exploration

/// One Celery pain point: a configuration that shows it and the configuration that fixes it.
struct PainPoint: Sendable, CustomTestStringConvertible {
    var label: String
    var broken: @Sendable () throws -> Scenario
    var fixed: @Sendable () throws -> Scenario
    var invariant: Invariant
    var testDescription: String { label }
}

/// For each pain point the harness finds the expected invariant broken on some of a few seeds (with
/// swarm testing, as `lovage explore` runs them), and the fixed configuration passes every invariant
/// on the same seeds.
@Suite("Celery pain points: detected, and their fixes pass")
struct PainPointTests {
    static let seeds = SeedRange(first: 1, last: 4)

    static let cases: [PainPoint] = [
        PainPoint(label: "visibility timeout shorter than a countdown (shipped scenarios)",
                  broken: { try PainPointScenarios.shipped("visibility-timeout-duplicate.yaml") },
                  fixed: { try PainPointScenarios.shipped("visibility-timeout-fixed.yaml") },
                  invariant: .duplicateNotAllowed),
        PainPoint(label: "late-acked task running longer than the visibility timeout",
                  broken: { try PainPointScenarios.parse(PainPointScenarios.longTaskPastVisibility(visibilityTimeout: "2m"), "long") },
                  fixed: { try PainPointScenarios.parse(PainPointScenarios.longTaskPastVisibility(visibilityTimeout: "10m"), "long-fixed") },
                  invariant: .duplicateNotAllowed),
        PainPoint(label: "prefetch hoarding behind a long task",
                  broken: { try PainPointScenarios.parse(PainPointScenarios.prefetchHoarding(fleetOptions: "prefetch_multiplier: 4"), "hoard") },
                  fixed: { try PainPointScenarios.parse(PainPointScenarios.prefetchHoarding(fleetOptions: "prefetch_multiplier: 1, acks_late: true"), "hoard-fixed") },
                  invariant: .liveness),
        PainPoint(label: "reject_on_worker_lost redelivery loop",
                  broken: { try PainPointScenarios.parse(PainPointScenarios.rejectOnWorkerLost(true), "loop") },
                  fixed: { try PainPointScenarios.parse(PainPointScenarios.rejectOnWorkerLost(false), "loop-fixed") },
                  invariant: .liveness),
        PainPoint(label: "fleet autoscaler shrinking under load (KEDA fooled by prefetch; HPA on Celery's backlog)",
                  broken: { try PainPointScenarios.shipped("keda-fooled-by-prefetch.yaml") },
                  fixed: { try PainPointScenarios.shipped("hpa-celery-backlog.yaml") },
                  invariant: .liveness),
        PainPoint(label: "ETA flood past the workers' memory limit",
                  broken: { try PainPointScenarios.parse(PainPointScenarios.etaFlood(memoryLimit: "128MiB"), "flood") },
                  fixed: { try PainPointScenarios.parse(PainPointScenarios.etaFlood(memoryLimit: "1GiB"), "flood-fixed") },
                  invariant: .liveness),
        PainPoint(label: "two beats without a lock (shipped scenarios)",
                  broken: { try PainPointScenarios.shipped("beat-two-beats-no-lock.yaml") },
                  fixed: { try PainPointScenarios.shipped("beat-two-beats-locked.yaml") },
                  invariant: .periodicDuplicate),
        PainPoint(label: "the only beat down across due times; a standby on the lock (shipped scenarios)",
                  broken: { try PainPointScenarios.shipped("beat-down-across-due-times.yaml") },
                  fixed: { try PainPointScenarios.shipped("beat-standby-takes-over.yaml") },
                  invariant: .periodicMissed),
        PainPoint(label: "chord member lost with a worker killed without acks_late (shipped scenarios)",
                  broken: { try PainPointScenarios.shipped("chord-member-lost.yaml") },
                  fixed: { try PainPointScenarios.shipped("chord-member-lost-fixed.yaml") },
                  invariant: .stuckPipeline),
    ]

    @Test("the harness detects it", arguments: cases)
    func detected(_ painPoint: PainPoint) throws {
        let outcomes = try Explorer(scenario: try painPoint.broken(), seeds: Self.seeds, jobs: 2).run()
        let failing = outcomes.filter { $0.breaches.contains { $0.invariant == painPoint.invariant } }
        #expect(!failing.isEmpty, "no seed of \(Self.seeds) broke \(painPoint.invariant.title)")
    }

    @Test("its fixed configuration passes", arguments: cases)
    func fixedPasses(_ painPoint: PainPoint) throws {
        let outcomes = try Explorer(scenario: try painPoint.fixed(), seeds: Self.seeds, jobs: 2).run()
        for outcome in outcomes {
            #expect(outcome.breaches.isEmpty, "seed \(outcome.seed): \(outcome.breaches.map(\.detail))")
        }
    }

    @Test("a stuck join is reported with its pipeline's root and where it stopped")
    func stuckJoinNamed() throws {
        let scenario = try PainPointScenarios.shipped("chord-member-lost.yaml")
        let outcome = try Explorer.check(scenario, seed: scenario.seed, swarm: false)
        let stuck = try #require(outcome.breaches.first { $0.invariant == .stuckPipeline })
        #expect(stuck.detail.contains("members returned"))
        #expect(stuck.subjects.allSatisfy { $0.hasPrefix("t") })
    }

    @Test("the shipped ETA flood strands its reminders (liveness)")
    func shippedEtaFlood() throws {
        let outcome = try Explorer.check(try PainPointScenarios.shipped("eta-flood-oom.yaml"), seed: 1, swarm: true)
        #expect(outcome.breaches.map(\.invariant) == [.liveness])
    }

    @Test("a worker killed under late acks: redelivered duplicates are allowed, nothing is lost")
    func killedWorkerWithLateAcksPasses() throws {
        let scenario = try PainPointScenarios.shipped("worker-killed-acks-late.yaml")
        let outcome = try Explorer.check(scenario, seed: scenario.seed, swarm: false)
        #expect(outcome.breaches.isEmpty, "\(outcome.breaches.map(\.detail))")
    }
}

/// The shipped beat scenarios whose pain is in their assertions rather than an invariant: a
/// periodic task slower than its period (and `expires` as the fix, with its cost), and a nightly
/// fan-out against a sleeping fleet scaler (and the plan's capacity as the fix).
@Suite("Beat pain points in the shipped scenarios")
struct BeatPainPointTests {
    func outcomes(_ name: String) throws -> [String: Bool] {
        let scenario = try PainPointScenarios.shipped(name)
        let result = try Simulator(scenario: scenario, options: SimulationOptions(seed: scenario.seed)).run()
        return Dictionary(uniqueKeysWithValues: result.assertionOutcomes.map { ($0.assertion.text, $0.holds) })
    }

    @Test func aPeriodicTaskSlowerThanItsPeriodPilesUpAndExpiresBoundsIt() throws {
        let backlog = try outcomes("beat-slow-periodic-backlog.yaml")
        #expect(backlog["peak_queue_depth > 15"] == true && backlog["queue_wait.max > 10m"] == true, "\(backlog)")
        let expires = try outcomes("beat-slow-periodic-expires.yaml")
        #expect(expires.values.allSatisfy { $0 }, "\(expires)")
        #expect(expires["revoked > 10"] == true, "the cost (runs revoked unstarted) is stated and measured")
    }

    @Test func theNightlyFanOutMissesItsSLOUntilThePlannedCapacity() throws {
        let asleep = try outcomes("beat-nightly-fanout.yaml")
        #expect(asleep["pipeline.latency.p99 > 15m"] == true, "\(asleep)")
        let planned = try outcomes("beat-nightly-fanout-planned.yaml")
        #expect(planned.values.allSatisfy { $0 }, "\(planned)")
    }
}
