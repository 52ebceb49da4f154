import Foundation
import WorkerCore

/// What writing fresh memory costs on the host (`host.memory_write`): a task that keeps memory
/// (`retained_per_call`) first has the kernel fault in and zero every page it writes, CPU time
/// that lengthens the body and that the host's CPUs spend instead of dispatching other tasks.
///
/// On a virtual machine whose host backs guest memory lazily (Firecracker, ballooning, free page
/// reporting) a page the host has not backed costs several times more: the host faults it in too.
/// Measured on this machine (`scripts/measure-memory-write.py`, docs/fidelity.md): 0.5–0.65 ms per
/// MiB for memory the guest has written before, 2.6–3.1 ms per MiB for memory the host has not backed.
/// Memory a process frees stays backed for a while, so a restarted worker's first gigabytes are
/// cheap, and the guest's free page reporting hands it back to the host within seconds
/// (`releaseTimeConstant`). Without `unbackedPerMiB` every write costs `perMiB`, as on bare
/// metal. Not time-scaled: the cost per MiB is the machine's.
public struct MemoryWriteCost: Sendable, Equatable {
    /// Faulting in and zeroing one MiB of memory the host already backs.
    public var perMiB: TimeSpan
    /// One MiB the host has not backed; nil when all memory is backed (bare metal).
    public var unbackedPerMiB: TimeSpan?
    /// Free memory the host keeps backed however long it stays free (the run starts with it).
    public var backedBytes: Int64
    /// How fast freed memory above `backedBytes` goes back to the host (exponential); nil: never.
    public var releaseTimeConstant: TimeSpan?

    public init(perMiB: TimeSpan, unbackedPerMiB: TimeSpan? = nil, backedBytes: Int64 = 0,
                releaseTimeConstant: TimeSpan? = nil) {
        self.perMiB = perMiB
        self.unbackedPerMiB = unbackedPerMiB
        self.backedBytes = backedBytes
        self.releaseTimeConstant = releaseTimeConstant
    }

    /// The cost of writing `bytes`, of which `backedBytes` the host already backs.
    public func cost(bytes: Int64, backed: Int64) -> TimeSpan {
        let fast = Double(min(bytes, max(0, backed))) * Double(perMiB.microseconds)
        let slow = Double(bytes - min(bytes, max(0, backed))) * Double((unbackedPerMiB ?? perMiB).microseconds)
        return TimeSpan(microseconds: Int64(((fast + slow) / 1_048_576).rounded()))
    }
}
