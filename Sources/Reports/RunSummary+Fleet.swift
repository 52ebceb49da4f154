import Scenarios

extension RunSummary.FleetGroup {
    /// The scenario's worker groups as a run's summary records them: what report.html shows as the
    /// fleet, filled the same way by the simulator and by a real run so their reports agree.
    public static func describe(_ fleet: [WorkerGroupSpec]) -> [RunSummary.FleetGroup] {
        fleet.map { group in
            RunSummary.FleetGroup(
                group: group.name, workers: group.count,
                concurrency: group.autoscale?.maxConcurrency ?? group.concurrency,
                autoscale: group.autoscale.map { "\($0.maxConcurrency),\($0.minConcurrency)" },
                prefetchMultiplier: group.prefetchMultiplier, queues: group.queues,
                maxTasksPerChild: group.maxTasksPerChild, maxMemoryPerChildKiB: group.maxMemoryPerChildKiB,
                memoryLimitBytes: group.memoryLimitBytes,
                scaler: group.scaler.map { "\($0.policyName), \($0.minReplicas)–\($0.maxReplicas) replicas" })
        }
    }
}
