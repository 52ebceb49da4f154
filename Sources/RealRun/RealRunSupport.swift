import Scenarios

/// What a scenario asks for that a real run cannot do yet: checked before anything starts, so a
/// run never silently measures something other than the file says.
public enum RealRunSupport {
    public static func problems(in scenario: Scenario, target: RealRunOptions.Target) -> [String] {
        var problems: [String] = []
        for spec in scenario.tasks {
            let body = spec.body
            if body.crashProbability > 0 { problems.append("tasks.\(spec.name).crash: a crash chance (lovage.synthetic does not crash its process)") }
            if body.hangProbability > 0 { problems.append("tasks.\(spec.name).hang: a hang chance (lovage.synthetic does not hang)") }
            if spec.options.rateLimit != nil { problems.append("tasks.\(spec.name).rate_limit: per-task rate limits") }
            let perTask = [spec.options.acksLate.map { _ in "acks_late" }, spec.options.rejectOnWorkerLost.map { _ in "reject_on_worker_lost" },
                           spec.options.timeLimit.map { _ in "time_limit" }, spec.options.softTimeLimit.map { _ in "soft_time_limit" },
                           spec.options.acksOnFailureOrTimeout.map { _ in "acks_on_failure_or_timeout" }].compactMap { $0 }
            for option in perTask {
                problems.append("tasks.\(spec.name).\(option): per-task options (set it on the fleet group, where it becomes a worker flag)")
            }
        }
        for fault in scenario.faults {
            switch fault.kind {
            case .memoryPressure: problems.append("faults: memory_pressure")
            case .killWorker, .restartWorker, .stopWorker, .brokerOutage, .brokerLatency, .slowTasks: break
            }
        }
        if target == .celery {
            for group in scenario.fleet where group.taskDefaults.acksOnFailureOrTimeout == false {
                problems.append("fleet.\(group.name).acks_on_failure_or_timeout: false (not passed to Celery's worker)")
            }
        }
        return problems
    }
}
