import Scenarios
import WorkerCore

/// Builds small scenarios in code, so simulator tests do not depend on the YAML loader.
func makeScenario(
    duration: TimeSpan = .seconds(60), drain: TimeSpan = .seconds(600), rate: Double = 10,
    arrival: ArrivalProcess = .poisson, workers: Int = 1, concurrency: Int = 2, prefetch: Int = 1,
    acksLate: Bool = true, visibility: TimeSpan = .seconds(3600), taskDuration: DurationDistribution = .constant(.milliseconds(100)),
    configureTask: (inout TaskTypeSpec) -> Void = { _ in }, configureGroup: (inout WorkerGroupSpec) -> Void = { _ in },
    faults: [FaultSpec] = [], seed: UInt64 = 1, configureScenario: (inout Scenario) -> Void = { _ in }
) -> Scenario {
    var broker = BrokerSpec()
    broker.visibilityTimeout = visibility
    var group = WorkerGroupSpec()
    group.name = "worker"
    group.count = workers
    group.concurrency = concurrency
    group.prefetchMultiplier = prefetch
    group.taskDefaults.acksLate = acksLate
    configureGroup(&group)
    var task = TaskTypeSpec(name: "app.work")
    task.body.duration = taskDuration
    configureTask(&task)
    var load = LoadSpec()
    load.arrival = arrival
    load.phases = [LoadPhase(duration: duration, rateFrom: rate, rateTo: rate)]
    load.mix = [MixEntry(task: task.name, weight: 1)]
    var scenario = Scenario(name: "test", description: "", seed: seed, duration: duration, drain: drain, broker: broker,
                            fleet: [group], tasks: [task], routes: [], load: load, faults: faults, assertions: [],
                            sourcePath: "test")
    configureScenario(&scenario)
    return scenario
}
