import Scenarios
import Workload

/// What a scenario asks for that a real run cannot do yet: checked before anything starts, so a
/// run never silently measures something other than the file says.
///
/// Per-task options (rate limits, time limits, acks_late, reject_on_worker_lost,
/// acks_on_failure_or_timeout, retry policies) are not on the list: the fleet's workers register
/// each scenario task with its options from the run's task table (`ScenarioTaskTable`), on both
/// targets, so they act in the worker as they act in the simulator.
public enum RealRunSupport {
    public static func problems(in scenario: Scenario, target: RealRunOptions.Target) -> [String] {
        var problems: [String] = []
        for spec in scenario.tasks {
            let body = spec.body
            if body.crashProbability > 0 { problems.append("tasks.\(spec.name).crash: a crash chance (the synthetic body does not crash its process)") }
            if body.hangProbability > 0 { problems.append("tasks.\(spec.name).hang: a hang chance (the synthetic body does not hang)") }
        }
        for fault in scenario.faults {
            switch fault.kind {
            case .memoryPressure: problems.append("faults: memory_pressure")
            case .killBeat, .restartBeat, .startBeat: problems.append("faults: \(fault.kind.beatFaultName) (beats run only in the simulator so far)")
            case .killWorker, .restartWorker, .stopWorker, .brokerOutage, .brokerLatency, .slowTasks: break
            }
        }
        if scenario.schedule != nil { problems.append("schedule: periodic tasks (beats run only in the simulator so far; run `lovage beat` beside the fleet)") }
        return problems
    }
}

extension FaultKind {
    var beatFaultName: String {
        switch self {
        case .killBeat: return "kill_beat"
        case .restartBeat: return "restart_beat"
        default: return "start_beat"
        }
    }
}
