import Histogram
import Testing
import Reports
import WorkerCore

/// `DurationHistogram` keeps its mean as the values come instead of asking `Histogram.mean` (which
/// walks every bucket unspecialised); the figure must stay the library's, since baselines and
/// summaries carry it.
struct DurationHistogramTests {
    /// The library's histogram with DurationHistogram's layout, fed the same values.
    static func library(_ values: [Int64]) -> Histogram<UInt64> {
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 30 * 86_400 * 1_000_000,
                                          numberOfSignificantValueDigits: .three)
        for value in values { _ = histogram.record(UInt64(max(0, min(value, 30 * 86_400 * 1_000_000)))) }
        return histogram
    }

    static func ours(_ values: [Int64]) -> Percentiles {
        var histogram = DurationHistogram()
        for value in values { histogram.record(TimeSpan(microseconds: value)) }
        return histogram.percentiles
    }

    /// A fixed linear congruential stream, so the values are the same in every run.
    static func values(count: Int, seed: UInt64, scale: UInt64) -> [Int64] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Spread over many magnitudes: a random exponent, then a random value below 2^exponent.
            let exponent = (state >> 58) % 40
            return Int64(((state >> 7) & ((UInt64(1) << exponent) - 1)) % scale)
        }
    }

    @Test("the mean is the library's to the bit, over every magnitude the buckets cover")
    func meanMatchesLibrary() {
        for seed: UInt64 in [1, 2, 3, 42] {
            let values = Self.values(count: 20_000, seed: seed, scale: 1 << 40)
            let mean = Self.ours(values).mean
            #expect(mean == Self.library(values).mean, "seed \(seed)")
            #expect(mean > 0)
        }
    }

    @Test("values past the 30-day ceiling and below zero are clamped as before, and the mean follows")
    func clampedValues() {
        let values: [Int64] = [-5, 0, 1, 999, 2_047, 2_048, 4_097, 30 * 86_400 * 1_000_000, 31 * 86_400 * 1_000_000, .max]
        #expect(Self.ours(values).mean == Self.library(values).mean)
        #expect(Self.ours(values).max == Self.library(values).max)
    }

    @Test("a single value's mean is its bucket's median, not the value")
    func singleValue() {
        // 2,049 µs lies in a bucket of width 2 (2,048-2,049): its median is 2,049.
        #expect(Self.ours([2_049]).mean == 2_049)
        // 10,001 µs lies in a bucket of width 8 (10,000-10,007): its median is 10,004.
        #expect(Self.ours([10_001]).mean == 10_004)
        #expect(Self.ours([]).mean == 0)
    }
}
