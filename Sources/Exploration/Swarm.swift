import Scenarios
import WorkerCore

/// Swarm testing's per-seed configuration: which of the scenario's fault kinds are on, which of
/// their entries are kept, how far each kept fault moves in time, and how the task types' failure,
/// hang and crash chances are scaled.
///
/// Why: running every seed with every fault finds the bugs that need all of them and hides those a
/// fault masks (a restart that hides a lost worker, failures that keep queues short). Switching
/// kinds off at random per seed (Groce et al., "Swarm Testing", 2012) covers both. Everything is
/// drawn from the seed alone, on a generator stream the simulator does not use, so `lovage replay
/// --seed N --swarm` rebuilds exactly the run `lovage explore` made. Nothing is invented: only the
/// scenario's own faults and chances are varied.
public struct Swarm: Sendable, Equatable {
    /// Indices into the scenario's `faults`, in file order, of the faults this seed keeps.
    public var keptFaults: [Int]
    /// How far each kept fault moves (same order as `keptFaults`); windows keep their length.
    public var faultShifts: [TimeSpan]
    /// Per task type: the factors applied to its failure, hang and crash probabilities.
    public var chanceFactors: [ChanceFactors]

    public struct ChanceFactors: Sendable, Equatable {
        public var failure = 1.0
        public var hang = 1.0
        public var crash = 1.0
    }

    /// The generator stream for swarm choices; the simulator uses streams 1-4.
    static let stream: UInt64 = 0x5357_4152_4D
    /// Factors a task's chances are scaled by, drawn uniformly (0 switches the chance off).
    static let chanceSteps: [Double] = [0, 0.5, 1, 2, 4]

    /// No variation: every fault where the file puts it, every chance as written.
    public static func identity(for scenario: Scenario) -> Swarm {
        Swarm(keptFaults: Array(scenario.faults.indices), faultShifts: scenario.faults.map { _ in .zero },
              chanceFactors: scenario.tasks.map { _ in ChanceFactors() })
    }

    /// The seed's choices for this scenario. Each fault kind present is on with probability 1/2 and
    /// gets a weight (1 or 1/2): the chance that each of its entries is kept. A kept fault moves by
    /// up to a tenth of the run's load duration either way, staying within the run. Each non-zero
    /// chance is scaled by 0, ½, 1, 2 or 4 (capped at probability 1).
    public static func choose(for scenario: Scenario, seed: UInt64) -> Swarm {
        var random = SeededRandom.split(seed: seed, stream: stream)
        var kindOn: [String: Bool] = [:]
        var kindWeight: [String: Double] = [:]
        // Kinds are decided in the order they first appear in the file (never in Dictionary order).
        for fault in scenario.faults {
            let kind = fault.kind.swarmKind
            guard kindOn[kind] == nil else { continue }
            kindOn[kind] = random.next() & 1 == 0
            kindWeight[kind] = random.next() & 1 == 0 ? 1 : 0.5
        }
        var kept: [Int] = []
        var shifts: [TimeSpan] = []
        let runLength = scenario.duration + scenario.drain
        let jitterMax = scenario.duration.microseconds / 10
        for (index, fault) in scenario.faults.enumerated() {
            let kind = fault.kind.swarmKind
            let keep = random.nextUnitDouble() < kindWeight[kind, default: 1]
            let draw = jitterMax > 0 ? Int64(random.next() % UInt64(2 * jitterMax + 1)) - jitterMax : 0
            guard kindOn[kind] == true, keep else { continue }
            let length = (fault.end ?? fault.start) - fault.start
            let latestStart = max(0, (runLength - length).microseconds)
            let start = min(max(0, fault.start.microseconds + draw), latestStart)
            kept.append(index)
            shifts.append(TimeSpan(microseconds: start - fault.start.microseconds))
        }
        var factors: [ChanceFactors] = []
        for task in scenario.tasks {
            var factor = ChanceFactors()
            func draw(_ chance: Double) -> Double {
                let step = chanceSteps[Int(random.next() % UInt64(chanceSteps.count))]
                return chance > 0 ? step : 1
            }
            factor.failure = draw(task.body.failureProbability)
            factor.hang = draw(task.body.hangProbability)
            factor.crash = draw(task.body.crashProbability)
            factors.append(factor)
        }
        return Swarm(keptFaults: kept, faultShifts: shifts, chanceFactors: factors)
    }

    /// The scenario as this seed runs it.
    public func apply(to scenario: Scenario) -> Scenario {
        var copy = scenario
        copy.faults = zip(keptFaults, faultShifts).map { index, shift in
            var fault = scenario.faults[index]
            fault.start = fault.start + shift
            fault.end = fault.end.map { $0 + shift }
            return fault
        }
        for (index, factor) in chanceFactors.enumerated() where index < copy.tasks.count {
            copy.tasks[index].body.failureProbability = min(1, copy.tasks[index].body.failureProbability * factor.failure)
            copy.tasks[index].body.hangProbability = min(1, copy.tasks[index].body.hangProbability * factor.hang)
            copy.tasks[index].body.crashProbability = min(1, copy.tasks[index].body.crashProbability * factor.crash)
        }
        return copy
    }

    /// What this seed changed, in plain words (empty when it changed nothing).
    public func changes(from scenario: Scenario) -> [String] {
        var lines: [String] = []
        let dropped = scenario.faults.indices.filter { !keptFaults.contains($0) }
        if !dropped.isEmpty {
            lines.append("faults off: " + dropped.map { "faults[\($0)] (\(scenario.faults[$0].kind.swarmKind))" }.joined(separator: ", "))
        }
        for (index, shift) in zip(keptFaults, faultShifts) where shift != .zero {
            let sign = shift.microseconds < 0 ? "-" : "+"
            lines.append("faults[\(index)] moved \(sign)\(DurationText.format(TimeSpan(microseconds: abs(shift.microseconds))))")
        }
        for (index, factor) in chanceFactors.enumerated() where index < scenario.tasks.count {
            let name = scenario.tasks[index].name
            for (what, value) in [("failure", factor.failure), ("hang", factor.hang), ("crash", factor.crash)] where value != 1 {
                lines.append("\(name) \(what) chance ×\(value == value.rounded() ? String(Int(value)) : String(value))")
            }
        }
        return lines
    }
}

extension FaultKind {
    /// The fault's kind as the scenario language names it: the unit swarm testing switches on or off.
    public var swarmKind: String {
        switch self {
        case .killWorker: return "kill_worker"
        case .restartWorker: return "restart_worker"
        case .stopWorker: return "stop_worker"
        case .brokerOutage: return "broker_outage"
        case .brokerLatency: return "broker_latency"
        case .slowTasks: return "slow_tasks"
        case .memoryPressure: return "memory_pressure"
        case .killBeat: return "kill_beat"
        case .restartBeat: return "restart_beat"
        case .startBeat: return "start_beat"
        }
    }
}
