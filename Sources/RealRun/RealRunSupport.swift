import Scenarios
import Schedules
import WorkerCore
import Workload

/// What a scenario asks for that a real run cannot do yet: checked before anything starts, so a
/// run never silently measures something other than the file says.
///
/// Per-task options (rate limits, time limits, acks_late, reject_on_worker_lost,
/// acks_on_failure_or_timeout, retry policies) are not on the list: the fleet's workers register
/// each scenario task with its options from the run's task table (`ScenarioTaskTable`), on both
/// targets, so they act in the worker as they act in the simulator.
public enum RealRunSupport {
    /// `scenario` is the file as loaded (before the time scale, which `timeScale` gives).
    public static func problems(in scenario: Scenario, target: RealRunOptions.Target, timeScale: Double = 1) -> [String] {
        var problems: [String] = []
        for spec in scenario.tasks {
            let body = spec.body
            if body.crashProbability > 0 { problems.append("tasks.\(spec.name).crash: a crash chance (the synthetic body does not crash its process)") }
            if body.hangProbability > 0 { problems.append("tasks.\(spec.name).hang: a hang chance (the synthetic body does not hang)") }
        }
        for fault in scenario.faults {
            if case .memoryPressure = fault.kind { problems.append("faults: memory_pressure") }
        }
        problems += scheduleProblems(in: scenario, target: target, timeScale: timeScale)
        return problems
    }

    /// The schedule's part: what real beat processes cannot do as the simulated ones do.
    static func scheduleProblems(in scenario: Scenario, target: RealRunOptions.Target, timeScale: Double) -> [String] {
        guard let schedule = scenario.schedule else { return [] }
        var problems: [String] = []
        let plans = scenario.pipelinePlans
        for entry in schedule.spec.entries {
            let path = "schedule.entries.\(entry.name)"
            // A crontab names wall-clock minutes: shrinking the run cannot shrink "30 2 * * *".
            if case .crontab(let crontab) = entry.schedule, timeScale != 1 {
                problems.append("\(path).schedule: crontab \"\(crontab.expression)\" cannot be time-scaled (it names wall-clock minutes); run this scenario at --time-scale 1, or give the entry an interval")
            }
            if let index = scenario.tasks.firstIndex(where: { $0.name == entry.task }), index < plans.count, plans[index] != nil {
                problems.append("\(path).task: \(entry.task) starts a pipeline (then/fan_out); a beat sends it as a plain task, so the rest of the pipeline would not run for real")
            }
        }
        let beats = scenario.scheduledBeats
        switch target {
        case .lovage:
            // lovage beat's own floor: renewing every third of less than 300 ms is all the beat would do.
            let scaled = Int64((Double(schedule.lockTimeoutMicros) * timeScale).rounded())
            if beats.contains(where: \.usesLock), scaled < BeatProcesses.minimumLockTimeoutMicros {
                problems.append("schedule.lock_timeout: \(DurationText.format(TimeSpan(microseconds: scaled))) at --time-scale \(timeScale), below lovage beat's minimum of 300ms; give a longer lock_timeout or a larger time scale")
            }
        case .celery:
            if beats.count > 1, beats.contains(where: \.usesLock) {
                let locked = beats.filter(\.usesLock).map(\.name).joined(separator: ", ")
                problems.append("schedule: \(beats.count) beats with the lock (\(locked)) under --target celery: Celery beat has no lock, so every one of them would send every run; use lock: false to see that, or one beat")
            }
        }
        return problems
    }
}
