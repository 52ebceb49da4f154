import Foundation
import Scenarios
import Simulation

/// What one seed's run showed.
public struct SeedOutcome: Sendable, Codable, Equatable {
    public var seed: UInt64
    public var traceHash: String
    public var breaches: [Breach]
}

/// Runs many seeds of one scenario in this process, `jobs` threads at a time, each seed with its
/// own swarm configuration, and judges each run's invariants.
///
/// Threads rather than processes: a run of a small scenario takes milliseconds, less than starting
/// a process. Each thread builds its own `Simulator` (nothing is shared but the immutable scenario)
/// and no run writes a trace file or a report. Outcomes are stored by seed offset, so the result is
/// the same whatever the number of threads or the order they finish in.
public struct Explorer: Sendable {
    public let scenario: Scenario
    public let seeds: SeedRange
    public let jobs: Int
    /// Swarm testing on (the default) or every seed run with the scenario as written.
    public let swarm: Bool

    public init(scenario: Scenario, seeds: SeedRange, jobs: Int, swarm: Bool = true) {
        self.scenario = scenario; self.seeds = seeds; self.jobs = max(1, jobs); self.swarm = swarm
    }

    /// The scenario as `seed` runs it.
    public static func scenario(_ base: Scenario, seed: UInt64, swarm: Bool) -> Scenario {
        swarm ? Swarm.choose(for: base, seed: seed).apply(to: base) : base
    }

    /// Runs one seed: simulate (no trace file) and judge.
    public static func check(_ base: Scenario, seed: UInt64, swarm: Bool) throws -> SeedOutcome {
        let scenario = scenario(base, seed: seed, swarm: swarm)
        let result = try Simulator(scenario: scenario, options: SimulationOptions(seed: seed, figureThread: false)).run()
        return SeedOutcome(seed: seed, traceHash: result.summary.traceHash,
                           breaches: InvariantCheck.breaches(of: result, scenario: scenario))
    }

    /// Every seed's outcome in seed order. `progress` is called (from worker threads) with the number
    /// of seeds done so far.
    public func run(progress: (@Sendable (Int) -> Void)? = nil) throws -> [SeedOutcome] {
        let count = seeds.count
        let board = OutcomeBoard(count: count)
        let base = scenario, seeds = seeds, swarm = swarm
        DispatchQueue.concurrentPerform(iterations: min(jobs, count)) { _ in
            while let offset = board.claim() {
                let outcome = Result { try Explorer.check(base, seed: seeds.seed(at: offset), swarm: swarm) }
                let done = board.store(outcome, at: offset)
                progress?(done)
            }
        }
        return try board.results()
    }
}

/// Hands out seed offsets to threads and keeps their outcomes in place.
private final class OutcomeBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var done = 0
    private var failed = false
    private var outcomes: [Result<SeedOutcome, any Error>?]

    init(count: Int) { outcomes = Array(repeating: nil, count: count) }

    func claim() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < outcomes.count, !failed else { return nil }
        next += 1
        return next - 1
    }

    func store(_ outcome: Result<SeedOutcome, any Error>, at offset: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        outcomes[offset] = outcome
        if case .failure = outcome { failed = true }
        done += 1
        return done
    }

    func results() throws -> [SeedOutcome] {
        lock.lock(); defer { lock.unlock() }
        return try outcomes.compactMap { try $0?.get() }
    }
}
