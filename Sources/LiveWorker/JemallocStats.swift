import CJemalloc

/// Memory figures from jemalloc, the allocator of every Lovage process (it is linked into the
/// executable): `stats.allocated` (bytes the program holds), `stats.active` (bytes in active
/// pages) and `stats.resident` (bytes of the allocator's resident pages), read after an `epoch`
/// refresh as jemalloc requires; and the calling thread's cumulative allocated bytes.
public struct JemallocStats: Sendable, Equatable {
    public var allocatedBytes: Int
    public var activeBytes: Int
    public var residentBytes: Int

    public init(allocatedBytes: Int, activeBytes: Int, residentBytes: Int) {
        self.allocatedBytes = allocatedBytes
        self.activeBytes = activeBytes
        self.residentBytes = residentBytes
    }

    /// A fresh sample, or nil if jemalloc does not answer (not the allocator in use).
    public static func sample() -> JemallocStats? {
        var epoch: UInt64 = 1
        guard mallctl("epoch", nil, nil, &epoch, MemoryLayout<UInt64>.size) == 0,
              let allocated = readSize("stats.allocated"), let active = readSize("stats.active"),
              let resident = readSize("stats.resident") else { return nil }
        return JemallocStats(allocatedBytes: allocated, activeBytes: active, residentBytes: resident)
    }

    /// Bytes allocated so far by the calling thread (`thread.allocated`); the difference around a
    /// task body is what the body allocated.
    public static func threadAllocatedBytes() -> UInt64? {
        var value: UInt64 = 0
        var size = MemoryLayout<UInt64>.size
        return mallctl("thread.allocated", &value, &size, nil, 0) == 0 ? value : nil
    }

    private static func readSize(_ name: String) -> Int? {
        var value: Int = 0
        var size = MemoryLayout<Int>.size
        return mallctl(name, &value, &size, nil, 0) == 0 ? value : nil
    }
}
