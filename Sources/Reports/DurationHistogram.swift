import Histogram
import WorkerCore

/// An HDR histogram of durations in microseconds (1 µs to 30 days, 3 significant digits), so a run
/// of millions of tasks keeps a fixed-size record of its percentiles.
public struct DurationHistogram: Sendable {
    private var histogram = Self.empty
    /// One empty histogram per process, copied: the library's initialiser fills its 33,792 buckets
    /// through unspecialised generic code (about 0.5 M instructions a histogram, 32 of them in a
    /// dify-default run), where a copy shares the zeroed buckets until the first record copies
    /// them with one memcpy.
    private static let empty = Histogram<UInt64>(lowestDiscernibleValue: 1,
                                                 highestTrackableValue: 30 * 86_400 * 1_000_000,
                                                 numberOfSignificantValueDigits: .three)
    public private(set) var count: UInt64 = 0
    /// The sum of each recorded value's bucket median: the mean the library computes, kept as the
    /// values come. `Histogram.mean` walks `recordedValues()`, which runs unspecialised across the
    /// module boundary (about 5,000 instructions a bucket, 26 M for one histogram of a short run:
    /// a fifth of a 30 s benchmark cut). 128 bits cannot overflow; below 2^53 the sum is exact in
    /// both, so the mean is the library's to the bit (checked against it in DurationHistogramTests).
    private var bucketMedianSum: UInt128 = 0

    public init() {}

    public mutating func record(_ span: TimeSpan) {
        let value = UInt64(max(0, min(span.microseconds, 30 * 86_400 * 1_000_000)))
        _ = histogram.record(value)
        bucketMedianSum &+= UInt128(Self.bucketMedian(value))
        count += 1
    }

    /// `histogram.medianEquivalentForValue(value)` for this layout (lowest discernible value 1, so
    /// unit magnitude 0; three digits, so 2,048 sub-buckets: bucket k holds values below 2^(k+11)
    /// in steps of 2^k). The library's own calls do not inline across the module and cost about
    /// 140 instructions a record more than these five operations.
    @inline(__always)
    static func bucketMedian(_ value: UInt64) -> UInt64 {
        let bucket = UInt64(53 &- (value | 2_047).leadingZeroBitCount)
        return ((value &>> bucket) &<< bucket) &+ ((1 &<< bucket) &>> 1)
    }

    /// The summary people read: p50, p90, p99, max and mean, in microseconds.
    public var percentiles: Percentiles {
        guard count > 0 else { return Percentiles(p50: 0, p90: 0, p99: 0, max: 0, mean: 0) }
        return Percentiles(p50: histogram.valueAtPercentile(50), p90: histogram.valueAtPercentile(90),
                           p99: histogram.valueAtPercentile(99), max: histogram.max,
                           mean: Double(bucketMedianSum) / Double(count))
    }
}

/// Percentiles of one duration metric, in microseconds.
public struct Percentiles: Sendable, Codable, Equatable {
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var max: UInt64
    public var mean: Double

    public init(p50: UInt64, p90: UInt64, p99: UInt64, max: UInt64, mean: Double) {
        self.p50 = p50; self.p90 = p90; self.p99 = p99; self.max = max; self.mean = mean
    }

    /// The value of a field by its metric suffix ("p50", "p90", "p99", "max", "mean").
    public func value(named field: String) -> Double? {
        switch field {
        case "p50": return Double(p50)
        case "p90": return Double(p90)
        case "p99": return Double(p99)
        case "max": return Double(max)
        case "mean": return mean
        default: return nil
        }
    }
}
