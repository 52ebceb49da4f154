import Scenarios
import WorkerCore

/// The scenario's load as a list of planned tasks, for a driver that publishes for real
/// (`lovage run --mode redis`): when each task is meant to be sent (the open model: the arrival
/// process decides, not the workers), which task type it is, and how long its body runs.
///
/// It uses the arrival generator (`LoadGenerator`) and body sampler (`BodySampler`) the simulator
/// uses, with the same seed streams (arrivals: stream 1, bodies: stream 2), so a real run and a
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
        var load = LoadGenerator(load: scenario.load, taskIndexByName: indexByName, start: start, duration: scenario.duration)
        var planned: [(offset: TimeSpan, order: Int, taskIndex: Int)] = []
        while let next = load.next(random: &arrivals) {
            planned.append((next - start, planned.count, load.pickTask(random: &arrivals)))
        }
        for burst in scenario.load.bursts {
            for _ in 0..<burst.count {
                let taskIndex = burst.task.flatMap { indexByName[$0] } ?? load.pickTask(random: &arrivals)
                planned.append((burst.at, planned.count, taskIndex))
            }
        }
        // Bursts land among the arrivals by time; equal times keep their generation order.
        planned.sort { ($0.offset, $0.order) < ($1.offset, $1.order) }
        return planned.map { entry in
            let duration = BodySampler.sampleDuration(scenario.tasks[entry.taskIndex].body.duration, random: &bodies)
            return PlannedTask(offset: entry.offset, taskIndex: entry.taskIndex, duration: duration)
        }
    }
}
