import Scenarios
import WorkerCore

/// The scenario's load as a list of planned tasks, for a driver that publishes for real
/// (`lovage run --mode redis`): when each task is meant to be sent (the open model: the arrival
/// process decides, not the workers), which task type it is, and how long its body runs.
///
/// It uses the arrival generator (`LoadGenerator`) and body sampler (`BodySampler`) the simulator
/// uses, with the same seed streams (arrivals: stream 1, bodies: stream 2, a trace's load_factor: 8), so a real run and a
/// simulated run of a seed see the same arrival process and the same duration distribution. They are not the same trace: the
/// simulator draws a body per attempt when it starts, the plan draws one per task up front.
public struct PlannedTask: Sendable, Equatable {
    /// When the task is meant to be sent, from the start of the load.
    public var offset: TimeSpan
    /// Index into `scenario.tasks`.
    public var taskIndex: Int
    /// How long the body runs (each attempt).
    public var duration: TimeSpan
}

public enum ArrivalPlan {
    /// Every task of the scenario's load (phases and bursts) in send order.
    public static func tasks(for scenario: Scenario, seed: UInt64) -> [PlannedTask] {
        var indexByName: [String: Int] = [:]
        for (index, spec) in scenario.tasks.enumerated() { indexByName[spec.name] = index }
        var arrivals = SeededRandom.split(seed: seed, stream: 1)
        var bodies = SeededRandom.split(seed: seed, stream: 2)
        let start = Instant(microsecondsSinceEpoch: 0)
        var load = LoadGenerator(load: scenario.load, taskIndexByName: indexByName, start: start, duration: scenario.duration,
                                 seed: seed)
        // The draws from the arrivals stream come in the order the simulator makes them: it draws
        // an arrival's time when the previous arrival is handled, and a task for each arrival and
        // for each burst member that names none when that event is handled. Its events run by
        // (time, insertion order); the first arrival is queued before the bursts, every later one
        // after them, so a burst at the same instant as an arrival goes first, except the first's.
        let bursts = scenario.load.bursts.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        var nextBurst = 0
        var planned: [(offset: TimeSpan, taskIndex: Int)] = []
        func publishBursts(before offset: TimeSpan?, inclusive: Bool) {
            while nextBurst < bursts.count {
                let burst = bursts[nextBurst]
                if let offset, burst.at > offset || (burst.at == offset && !inclusive) { return }
                for _ in 0..<burst.count {
                    planned.append((burst.at, burst.task.flatMap { indexByName[$0] } ?? load.burstTask(at: start + burst.at, random: &arrivals)))
                }
                nextBurst += 1
            }
        }
        var isFirstArrival = true
        while let next = load.next(random: &arrivals) {
            publishBursts(before: next - start, inclusive: !isFirstArrival)
            planned.append((next - start, load.arrivalTask(random: &arrivals)))
            isFirstArrival = false
        }
        publishBursts(before: nil, inclusive: true)
        return planned.map { entry in
            let duration = BodySampler.sampleDuration(scenario.tasks[entry.taskIndex].body.duration, random: &bodies)
            return PlannedTask(offset: entry.offset, taskIndex: entry.taskIndex, duration: duration)
        }
    }
}
