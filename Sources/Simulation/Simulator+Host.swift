import Scenarios
import WorkerCore

/// The host the fleet shares (`host:`): its CPUs, which each task's `cpu_per_task` and each write
/// of retained memory wait for, and the price of that write (`host.memory_write`).
extension Simulator {
    /// How long a task dispatched now waits for a CPU of the host to take its `cpu_per_task`;
    /// zero when `host:` is not set.
    func waitForHostCPU() -> TimeSpan {
        guard let host = scenario.host else { return .zero }
        return takeHostCPU(host.cpuPerTask, cores: host.cores) - now
    }

    /// When the earliest free CPU of the host starts `work` (first come, first served); that CPU
    /// is busy until the work is done.
    func takeHostCPU(_ work: TimeSpan, cores: Int) -> Instant {
        if hostCPUFreeAt.isEmpty { hostCPUFreeAt = Array(repeating: now, count: cores) }
        var earliest = 0
        for index in hostCPUFreeAt.indices where hostCPUFreeAt[index] < hostCPUFreeAt[earliest] { earliest = index }
        let start = max(now, hostCPUFreeAt[earliest])
        hostCPUFreeAt[earliest] = start + work
        return start
    }

    /// The body writes the memory it keeps: faulting it in takes a CPU of the host for as long as
    /// `host.memory_write` prices it, and the body ends when that is done.
    func bodyWritesMemory(worker: Int, generation: Int, slot: Int, execution: UInt64) {
        let simWorker = workers[worker]
        guard simWorker.generation == generation, simWorker.children[slot].execution == execution,
              let taskIndex = simWorker.children[slot].taskIndex, let host = scenario.host, var memory = hostMemory else { return }
        let work = memory.write(bytes: bodyModels[taskIndex].memoryRetainedPerCallBytes, at: now)
        hostMemory = memory
        let done = takeHostCPU(work, cores: host.cores) + work
        queue.schedule(.bodyFinished(worker: worker, generation: generation, slot: slot, execution: execution),
                       at: done + simWorker.taskOverhead)
    }
}
