import Foundation
import Scenarios
import WorkerCore

/// The host's free memory that is still backed (`host.memory_write`): what the next write of
/// retained memory finds cheap. It starts at `backed`; each write uses it up before it pays the
/// unbacked price; memory the fleet frees (a recycled child's leak, a killed worker's children)
/// joins it, and what is above `backed` goes back to the host with `release_time_constant`, as
/// free page reporting hands a guest's free memory back. Only what bodies keep is counted: a
/// child's own memory at start-up is paid for in `child_startup`.
struct HostMemory {
    let cost: MemoryWriteCost
    private(set) var freeBackedBytes: Int64
    private var updatedAt: Instant

    init(cost: MemoryWriteCost, at start: Instant) {
        self.cost = cost
        self.freeBackedBytes = cost.backedBytes
        self.updatedAt = start
    }

    /// The CPU time of writing `bytes` now; the free backed memory it uses is gone.
    mutating func write(bytes: Int64, at now: Instant) -> TimeSpan {
        releaseToHost(until: now)
        let time = cost.cost(bytes: bytes, backed: freeBackedBytes)
        freeBackedBytes -= min(bytes, freeBackedBytes)
        return time
    }

    /// The fleet freed `bytes` of written memory now: it stays backed for a while.
    mutating func freed(bytes: Int64, at now: Instant) {
        guard bytes > 0 else { return }
        releaseToHost(until: now)
        freeBackedBytes += bytes
    }

    /// What is above `backed` decays towards it.
    private mutating func releaseToHost(until now: Instant) {
        defer { updatedAt = max(updatedAt, now) }
        guard let constant = cost.releaseTimeConstant, freeBackedBytes > cost.backedBytes, now > updatedAt else { return }
        let elapsed = Double((now - updatedAt).microseconds)
        let above = Double(freeBackedBytes - cost.backedBytes) * exp(-elapsed / Double(constant.microseconds))
        freeBackedBytes = cost.backedBytes + Int64(above.rounded())
    }
}
