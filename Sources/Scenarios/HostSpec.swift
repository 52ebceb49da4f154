import WorkerCore

/// The machine a whole run shares (`host:`): the fleet's workers and children, Redis and the load
/// generator on `cores` CPUs, each task costing `cpuPerTask` of their time besides its body (the
/// parent's fetch, decode, pipe and acknowledgement, Redis's commands, the publisher's). A task is
/// handed to its child only once a CPU has taken that work, so when tasks are dispatched faster
/// than `cores / cpuPerTask` per second they wait for the host, not for a slot: a real drain of a
/// backlog on a small machine is CPU-bound before every slot is busy. Below that rate it changes
/// almost nothing. Not time-scaled: CPU time per task is the machine's.
public struct HostSpec: Sendable, Equatable {
    public var cores: Int
    public var cpuPerTask: TimeSpan
    /// What the memory tasks keep costs to write (`memory_write`); nil: not modelled.
    public var memoryWrite: MemoryWriteCost?

    public init(cores: Int, cpuPerTask: TimeSpan, memoryWrite: MemoryWriteCost? = nil) {
        self.cores = cores
        self.cpuPerTask = cpuPerTask
        self.memoryWrite = memoryWrite
    }
}
