import Scenarios
import WorkerCore

/// The open-model load: arrival times follow the scenario's phases whatever the workers do.
///
/// Poisson phases with a ramp use thinning (candidates at the phase's peak rate, kept with
/// probability rate(t) / peak), which gives an exact non-homogeneous Poisson process. Even spacing
/// uses gaps of 1 / rate(t). The generator produces one arrival at a time, so memory does not grow
/// with the run's length.
public struct LoadGenerator {
    private let phases: [LoadPhase]
    private let arrival: ArrivalProcess
    private let start: Instant
    private let end: Instant
    private var phaseIndex = 0
    private var phaseStart: Instant
    private var cursor: Instant
    private let mixCumulative: [Double]
    private let mixTasks: [Int]

    public init(load: LoadSpec, taskIndexByName: [String: Int], start: Instant, duration: TimeSpan) {
        phases = load.phases
        arrival = load.arrival
        self.start = start
        end = start + duration
        phaseStart = start
        cursor = start
        var total = 0.0
        var cumulative: [Double] = []
        var tasks: [Int] = []
        for entry in load.mix {
            guard let index = taskIndexByName[entry.task] else { continue }
            total += entry.weight
            cumulative.append(total)
            tasks.append(index)
        }
        if tasks.isEmpty { cumulative = [1]; tasks = [0] }
        mixCumulative = cumulative.map { $0 / (cumulative.last ?? 1) }
        mixTasks = tasks
    }

    /// The next arrival time, or nil when the load is over.
    public mutating func next(random: inout SeededRandom) -> Instant? {
        while phaseIndex < phases.count {
            let phase = phases[phaseIndex]
            let phaseEnd = min(phaseStart + phase.duration, end)
            let peak = max(phase.rateFrom, phase.rateTo)
            guard peak > 0, cursor < phaseEnd else {
                advancePhase(to: phaseStart + phase.duration)
                continue
            }
            switch arrival {
            case .poisson:
                cursor = cursor + BodySampler.exponentialGap(ratePerSecond: peak, random: &random)
                guard cursor < phaseEnd else { advancePhase(to: phaseStart + phase.duration); continue }
                let accept = rate(phase, at: cursor) / peak
                if accept >= 1 || random.nextUnitDouble() < accept { return cursor }
            case .even:
                let current = rate(phase, at: cursor)
                let step = current > 0 ? TimeSpan.seconds(1 / current) : TimeSpan(microseconds: max(1, phase.duration.microseconds / 1000))
                cursor = cursor + TimeSpan(microseconds: max(1, step.microseconds))
                guard cursor < phaseEnd else { advancePhase(to: phaseStart + phase.duration); continue }
                if current > 0 { return cursor }
            }
        }
        return nil
    }

    /// Picks a task type index from the mix.
    public func pickTask(random: inout SeededRandom) -> Int {
        guard mixTasks.count > 1 else { return mixTasks[0] }
        let u = random.nextUnitDouble()
        for (index, bound) in mixCumulative.enumerated() where u < bound { return mixTasks[index] }
        return mixTasks[mixTasks.count - 1]
    }

    private mutating func advancePhase(to instant: Instant) {
        phaseIndex += 1
        phaseStart = instant
        cursor = max(cursor, instant)
        if phaseStart >= end { phaseIndex = phases.count }
    }

    private func rate(_ phase: LoadPhase, at instant: Instant) -> Double {
        guard phase.duration.microseconds > 0 else { return phase.rateTo }
        let fraction = Double((instant - phaseStart).microseconds) / Double(phase.duration.microseconds)
        return phase.rateFrom + (phase.rateTo - phase.rateFrom) * min(1, max(0, fraction))
    }
}
