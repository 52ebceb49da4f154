/// A small fixed log-bucket histogram for per-interval chart figures (queue wait of the tasks
/// started in each timeline sample). Four buckets per power of two, so a percentile is within
/// about 19% of the true value; resetting and reading it cost a few hundred words, where the HDR
/// histogram (exact to three digits, used for the run's own percentiles) would cost a scan of tens
/// of thousands of buckets at every sample.
public struct CoarseHistogram: Sendable {
    private var counts = [UInt32](repeating: 0, count: 256)
    public private(set) var count: UInt64 = 0

    public init() {}

    public mutating func record(microseconds value: Int64) {
        counts[Self.bucket(of: UInt64(max(0, value)))] &+= 1
        count += 1
    }

    public mutating func reset() {
        guard count > 0 else { return }
        for index in counts.indices { counts[index] = 0 }
        count = 0
    }

    /// The upper bound of the bucket holding the given percentile (0 when empty).
    public func value(atPercentile percentile: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = UInt64((Double(count) * percentile / 100).rounded(.up))
        var seen: UInt64 = 0
        for (index, bucketCount) in counts.enumerated() where bucketCount > 0 {
            seen += UInt64(bucketCount)
            if seen >= max(1, rank) { return Self.upperBound(of: index) }
        }
        return Self.upperBound(of: counts.count - 1)
    }

    /// Bucket 0 holds 0; then four buckets per power of two by the two bits after the leading one.
    static func bucket(of value: UInt64) -> Int {
        guard value > 0 else { return 0 }
        let exponent = 63 - value.leadingZeroBitCount
        let quarter = exponent >= 2 ? Int((value >> UInt64(exponent - 2)) & 3) : 0
        return min(255, 1 + exponent * 4 + quarter)
    }

    static func upperBound(of bucket: Int) -> UInt64 {
        guard bucket > 0 else { return 0 }
        let exponent = (bucket - 1) / 4
        let quarter = UInt64((bucket - 1) % 4)
        guard exponent >= 2 else { return UInt64(1) << UInt64(exponent + 1) - 1 }
        return ((4 + quarter + 1) << UInt64(exponent - 2)) - 1
    }
}
