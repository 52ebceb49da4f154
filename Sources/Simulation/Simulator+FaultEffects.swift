import Scenarios
import WorkerCore

/// What the running fault windows do to bodies and children: `slow_tasks` stretches a body's time,
/// `memory_pressure` adds to each child's memory.
extension Simulator {
    func slowFactor(for taskName: String) -> Double {
        var factor = 1.0
        for window in slowWindows where Glob.matches(pattern: window.pattern, taskName) { factor *= window.factor }
        return factor
    }

    func pressure(forWorker worker: Int) -> Int64 {
        var bytes: Int64 = 0
        for entry in memoryPressure where Glob.matches(pattern: entry.pattern, workers[worker].name) { bytes += entry.bytes }
        return bytes
    }
}
