import Scenarios
import WorkerCore

/// The memory model: a child's resident memory (what `max_memory_per_child` reads after a task),
/// a worker's with its children and held messages (what `memory_limit` caps), and the OOM kill.
extension Simulator {
    /// A child's resident memory in KiB as the worker reads it after a task (`max_memory_per_child`):
    /// its baseline, what it kept and any memory pressure.
    func residentKiB(worker: Int, slot: Int) -> Int {
        let bytes = workers[worker].childBaselineBytes + workers[worker].children[slot].retainedBytes + pressure(forWorker: worker)
        return Int(bytes / 1024)
    }

    /// A worker and its children, as the memory model has them: each child's baseline, its leak and
    /// any memory pressure, plus the messages the worker holds unstarted (`held_message_memory`).
    func workerMemoryBytes(_ index: Int) -> Int64 {
        let heldBytes = scenario.fleet[workers[index].group].heldMessageBytes
        let unstarted = Int64(workers[index].core.heldCount + workers[index].core.reservedWaitingCount)
        return workers[index].memoryBytes(pressurePerChild: pressure(forWorker: index)) + unstarted * heldBytes
    }

    /// The OOM killer's check of a worker's `memory_limit`, made wherever the worker's memory can
    /// grow: a body kept memory (`bodyFinished`), a child started (`childReady`), memory pressure
    /// began, and after each input the worker handles (a delivery it holds, `held_message_memory`;
    /// a child spawned or a task handed to one at once). So the kill comes at the instant the limit
    /// is passed, as the kernel's does, not at the next timeline sample a second or more later
    /// (a real run polls every 50 ms, `ContainerMemoryLimit`). A sum over the worker's children,
    /// and nothing for a group without a limit. Never called while the worker's directives are
    /// being carried out: killed there, the rest of its buffer would act for a dead worker.
    func enforceMemoryLimit(_ index: Int) {
        guard let limit = memoryLimitByWorker[index], workers[index].isAlive,
              workerMemoryBytes(index) > limit else { return }
        oomKill(index, limit: limit)
    }

    /// The container's memory limit was passed: the kernel kills the worker and its children at
    /// once (SIGKILL, nothing given back), and its restart policy brings it back after a delay.
    func oomKill(_ index: Int, limit: Int64) {
        trace.record(now, .oomKill, "worker", workers[index].name, "limit", String(limit))
        ledger.counts.oomKilled += 1
        killWorker(index)
        queue.schedule(.oomRestart(worker: index), at: now + scenario.fleet[workers[index].group].restartDelay)
    }
}
