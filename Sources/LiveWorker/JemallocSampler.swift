/// A child's jemalloc figures after each task, refreshed only when they can have moved.
///
/// `JemallocStats.sample()` is an `epoch` refresh, which merges every arena's statistics: about
/// 6–8 µs here (`Benchmarks/jemalloc-sample-cost.sh`), a fifth to a quarter of what a prefork
/// child spent on a `noop` task. The figures are gauges (Prometheus, `inspect stats`), and the
/// recycling rule reads resident memory from `/proc`, not from here, so the child refreshes them at
/// most every `refreshInterval`, or at once when the thread allocated `refreshAfterAllocatedBytes`
/// or more since the last refresh (a task that grows the heap is seen after that task), and
/// otherwise reports the last refresh's figures.
struct JemallocSampler {
    static let refreshInterval: Duration = .milliseconds(100)
    static let refreshAfterAllocatedBytes: UInt64 = 1 << 20

    private var last: JemallocStats?
    private var lastRefresh: ContinuousClock.Instant?
    private var threadAllocatedAtRefresh: UInt64 = 0

    /// The figures to report `now`; `threadAllocated` is the thread's cumulative allocated bytes
    /// (`JemallocStats.threadAllocatedBytes`).
    mutating func figures(now: ContinuousClock.Instant = .now, threadAllocated: UInt64,
                          refresh: () -> JemallocStats? = JemallocStats.sample) -> JemallocStats? {
        let due = lastRefresh.map { now - $0 >= Self.refreshInterval } ?? true
        if last == nil || due || threadAllocated &- threadAllocatedAtRefresh >= Self.refreshAfterAllocatedBytes {
            last = refresh()
            lastRefresh = now
            threadAllocatedAtRefresh = threadAllocated
        }
        return last
    }
}
