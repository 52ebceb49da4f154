import LiveWorker
import Testing

@Suite("jemalloc statistics")
struct JemallocStatsTests {
    @Test("jemalloc is the allocator: its figures answer and follow a 64 MiB allocation")
    func followsAllocation() throws {
        let before = try #require(JemallocStats.sample())
        let threadBefore = try #require(JemallocStats.threadAllocatedBytes())
        let block = [UInt8](repeating: 1, count: 64 << 20)
        let during = try #require(JemallocStats.sample())
        let threadAfter = try #require(JemallocStats.threadAllocatedBytes())
        #expect(block.count == 64 << 20)
        // Other tests allocate and free on other threads at the same time, so the process-wide
        // figure cannot be compared with the one before (a concurrent free of 60 MiB made this
        // flaky); it does hold the live block. The thread's own counter follows the allocation exactly.
        #expect(before.allocatedBytes > 0)
        #expect(during.allocatedBytes >= 64 << 20)
        #expect(during.activeBytes >= during.allocatedBytes)
        #expect(during.residentBytes >= during.activeBytes - (16 << 20))
        #expect(threadAfter - threadBefore >= UInt64(64 << 20))
    }
}
