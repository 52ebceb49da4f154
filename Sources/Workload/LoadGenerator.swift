import Scenarios
import WorkerCore

/// The open-model load: arrival times follow the scenario's phases whatever the workers do.
///
/// Poisson phases with a ramp use thinning (candidates at the phase's peak rate, kept with
/// probability rate(t) / peak), which gives an exact non-homogeneous Poisson process. Even spacing
/// uses gaps of 1 / rate(t). The generator produces one arrival at a time, so memory does not grow
/// with the run's length. A `load.trace` replaces the phases: its rows are replayed (`TraceReplay`).
///
/// Task types are drawn from the arrivals stream after each arrival's time, and only when a mix has
/// more than one task, so a scenario without phase mixes draws exactly as before they existed.
public struct LoadGenerator {
    private let phases: [LoadPhase]
    private let arrival: ArrivalProcess
    private let start: Instant
    private let end: Instant
    private var phaseIndex = 0
    private var phaseStart: Instant
    private var cursor: Instant
    /// The load's mix (the first task when it has none).
    private let mix: TaskMix
    private let hasLoadMix: Bool
    /// Each phase's own mix, if it has one.
    private let phaseMixes: [TaskMix?]
    private var trace: TraceReplay?

    /// - Parameter seed: the run's seed, for a trace's `load_factor` draws (its own stream).
    public init(load: LoadSpec, taskIndexByName: [String: Int], start: Instant, duration: TimeSpan, seed: UInt64) {
        phases = load.phases
        arrival = load.arrival
        self.start = start
        end = start + duration
        phaseStart = start
        cursor = start
        mix = TaskMix(load.mix, taskIndexByName: taskIndexByName)
        hasLoadMix = !load.mix.isEmpty
        phaseMixes = load.phases.map { phase in phase.mix.map { TaskMix($0, taskIndexByName: taskIndexByName) } }
        trace = load.trace.map {
            TraceReplay(trace: $0, factor: load.traceFactor, taskIndexByName: taskIndexByName, start: start, duration: duration, seed: seed)
        }
    }

    /// The next arrival time, or nil when the load is over.
    public mutating func next(random: inout SeededRandom) -> Instant? {
        if trace != nil { return trace!.next() }
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

    /// The task type index of the arrival `next` returned last: the trace row's, else drawn from
    /// its phase's mix (or the load's).
    ///
    /// `mutating` though it changes nothing: a caller that keeps the generator in a class property
    /// then calls it in place, where a non-mutating call copied the whole generator (retaining
    /// every array in it) for each arrival. The mix is read in place too (`own ?? mix` copied one).
    public mutating func arrivalTask(random: inout SeededRandom) -> Int {
        if let trace { return trace.task }
        if phaseIndex < phaseMixes.count, phaseMixes[phaseIndex] != nil { return phaseMixes[phaseIndex]!.pick(random: &random) }
        return mix.pick(random: &random)
    }

    /// The task type index of a member of a burst that names none, drawn from the load's mix, or
    /// without one from the mix of the phase in effect at `instant` (the last phase after them all).
    public func burstTask(at instant: Instant, random: inout SeededRandom) -> Int {
        guard !hasLoadMix, !phases.isEmpty else { return mix.pick(random: &random) }
        var phaseEnd = start
        var chosen = phases.count - 1
        for (index, phase) in phases.enumerated() {
            phaseEnd = phaseEnd + phase.duration
            if instant < phaseEnd { chosen = index; break }
        }
        return (phaseMixes[chosen] ?? mix).pick(random: &random)
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

/// Weights turned into cumulative bounds for one uniform draw.
struct TaskMix {
    private let cumulative: [Double]
    private let tasks: [Int]

    /// Entries naming unknown tasks are skipped; with none left, every pick is task 0.
    init(_ entries: [MixEntry], taskIndexByName: [String: Int]) {
        var total = 0.0
        var cumulative: [Double] = []
        var tasks: [Int] = []
        for entry in entries {
            guard let index = taskIndexByName[entry.task] else { continue }
            total += entry.weight
            cumulative.append(total)
            tasks.append(index)
        }
        if tasks.isEmpty { cumulative = [1]; tasks = [0] }
        self.cumulative = cumulative.map { $0 / (cumulative.last ?? 1) }
        self.tasks = tasks
    }

    /// A task index; a mix of one task draws nothing.
    func pick(random: inout SeededRandom) -> Int {
        guard tasks.count > 1 else { return tasks[0] }
        let u = random.nextUnitDouble()
        for (index, bound) in cumulative.enumerated() where u < bound { return tasks[index] }
        return tasks[tasks.count - 1]
    }
}
