@testable import LiveWorker
import Testing

@Suite("A child's jemalloc figures")
struct JemallocSamplerTests {
    /// A refresh that counts its calls and returns a figure that says which call it was.
    final class Refreshes {
        var calls = 0
        func next() -> JemallocStats? {
            calls += 1
            return JemallocStats(allocatedBytes: calls, activeBytes: calls, residentBytes: calls)
        }
    }

    @Test("the first task refreshes; later ones reuse the figures until 100 ms have passed")
    func refreshesOnTime() {
        let refreshes = Refreshes()
        let start = ContinuousClock.now
        var sampler = JemallocSampler()
        #expect(sampler.figures(now: start, threadAllocated: 500, refresh: refreshes.next)?.allocatedBytes == 1)
        #expect(sampler.figures(now: start + .microseconds(62_500), threadAllocated: 600, refresh: refreshes.next)?.allocatedBytes == 1)
        #expect(sampler.figures(now: start + .microseconds(93_750), threadAllocated: 700, refresh: refreshes.next)?.allocatedBytes == 1)
        #expect(sampler.figures(now: start + .microseconds(125_000), threadAllocated: 800, refresh: refreshes.next)?.allocatedBytes == 2)
        #expect(sampler.figures(now: start + .microseconds(187_500), threadAllocated: 900, refresh: refreshes.next)?.allocatedBytes == 2)
        #expect(refreshes.calls == 2)
    }

    @Test("a task that allocated 1 MiB or more since the last refresh is seen at once")
    func refreshesOnAllocation() {
        let refreshes = Refreshes()
        let start = ContinuousClock.now
        var sampler = JemallocSampler()
        _ = sampler.figures(now: start, threadAllocated: 1_000, refresh: refreshes.next)
        #expect(sampler.figures(now: start + .milliseconds(10), threadAllocated: 1_000 + (1 << 20) - 1, refresh: refreshes.next)?.allocatedBytes == 1)
        #expect(sampler.figures(now: start + .milliseconds(20), threadAllocated: 1_000 + (1 << 20), refresh: refreshes.next)?.allocatedBytes == 2)
        // Counted from that refresh, not from the first.
        #expect(sampler.figures(now: start + .milliseconds(30), threadAllocated: 1_000 + (3 << 19), refresh: refreshes.next)?.allocatedBytes == 2)
    }

    @Test("without jemalloc the figures stay absent, and each task asks again")
    func absentStaysAbsent() {
        var calls = 0
        let start = ContinuousClock.now
        var sampler = JemallocSampler()
        for step in 0..<3 {
            #expect(sampler.figures(now: start + .milliseconds(step), threadAllocated: 0, refresh: { calls += 1; return nil }) == nil)
        }
        #expect(calls == 3)
    }
}
