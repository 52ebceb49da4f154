import Testing
import WorkerCore
@testable import Scenarios

/// Microseconds from a readable count, without the ambiguous `TimeSpan.seconds` literal overloads.
func us(_ value: Int64) -> TimeSpan { TimeSpan(microseconds: value) }
func ms(_ value: Int64) -> TimeSpan { TimeSpan(microseconds: value * 1_000) }
func sec(_ value: Int64) -> TimeSpan { TimeSpan(microseconds: value * 1_000_000) }
func minutes(_ value: Int64) -> TimeSpan { sec(value * 60) }
func hours(_ value: Int64) -> TimeSpan { sec(value * 3_600) }

struct DurationTextTests {
    @Test(arguments: [
        ("250ms", Int64(250_000)),
        ("1.5s", 1_500_000),
        ("2m", 120_000_000),
        ("2h", 7_200_000_000),
        ("1d", 86_400_000_000),
        ("90s", 90_000_000),
        ("500us", 500),
        ("500µs", 500),
        ("500μs", 500),          // Greek small letter mu
        ("1m30s", 90_000_000),
        ("1h 15m", 4_500_000_000),
        ("1d2h3m4s5ms6us", 93_784_005_006),
        ("0", 0),
        ("0s", 0),
        ("90", 90_000_000),      // bare number: seconds
        ("0.25", 250_000),
        ("  10m  ", 600_000_000),
        ("10 minutes", 600_000_000),
        ("3 sec", 3_000_000),
        ("0.0000004s", 0),       // rounds to the microsecond
        ("1.0000006s", 1_000_001),
    ])
    func parses(text: String, microseconds: Int64) {
        #expect(DurationText.parse(text) == TimeSpan(microseconds: microseconds))
    }

    @Test(arguments: ["", " ", "10 parsecs", "-5s", "1e400s", "1e3", "s", "5 s s", "1.s", ".5s", "30s1m", "1m1m",
                      "1m 30", "5sec!", "10/s", "1,5s", "NaN", "inf", "99999999999999999999s", "200000000d", "+5s",
                      "5ns", "5 5s"])
    func rejects(text: String) {
        #expect(DurationText.parse(text) == nil, "\(text) should be rejected")
    }

    @Test(arguments: [Int64(0), 1, 500, 1_000, 250_000, 1_000_000, 1_500_000, 90_000_000, 7_200_000_000,
                      93_784_005_006, 86_400_000_000, 59_999_999])
    func formatRoundTrips(microseconds: Int64) {
        let text = DurationText.format(TimeSpan(microseconds: microseconds))
        #expect(DurationText.parse(text) == TimeSpan(microseconds: microseconds), "\(text)")
    }

    @Test func formatReadsNaturally() {
        #expect(DurationText.format(ms(250)) == "250ms")
        #expect(DurationText.format(sec(90)) == "1m30s")
        #expect(DurationText.format(us(1_500_000)) == "1.5s")
        #expect(DurationText.format(hours(2)) == "2h")
        #expect(DurationText.format(.zero) == "0s")
        #expect(DurationText.format(us(500)) == "500µs")
    }
}

struct SizeTextTests {
    static let good: [(String, Int64)] = [
        ("64MiB", 67_108_864),
        ("512KiB", 524_288),
        ("1GiB", 1_073_741_824),
        ("2TiB", 2_199_023_255_552),
        ("100MB", 100_000_000),
        ("2KB", 2_000),
        ("3GB", 3_000_000_000),
        ("10B", 10),
        ("10", 10),
        ("0", 0),
        ("1.5GiB", 1_610_612_736),
        ("64mib", 67_108_864),
        ("64 MiB", 67_108_864),
        ("0.5KiB", 512),
    ]

    @Test(arguments: good)
    func parses(text: String, bytes: Int64) {
        #expect(SizeText.parse(text) == bytes)
    }

    @Test(arguments: ["", "MiB", "-1MiB", "1e3", "1e400MiB", "10 parsecs", "64Mb/s", "1.5", "1.5B", "12XB", "64 MiB s",
                      "99999999999TiB", "1,024"])
    func rejects(text: String) {
        #expect(SizeText.parse(text) == nil, "\(text) should be rejected")
    }

    @Test func formats() {
        #expect(SizeText.format(64 << 20) == "64MiB")
        #expect(SizeText.format(100_000_000) == "100MB")
        #expect(SizeText.format(10) == "10B")
        #expect(SizeText.format(1536) == "3KiB" || SizeText.format(1536) == "1536B")
    }
}

struct RateTextTests {
    @Test(arguments: [
        ("100/s", 100.0),
        ("6000/m", 100.0),
        ("10/h", 10.0 / 3600),
        ("86400/d", 1.0),
        ("250", 250.0),
        ("0.5", 0.5),
        ("0.5/s", 0.5),
        ("60 / min", 1.0),
        ("1/sec", 1.0),
        ("0/s", 0.0),
    ])
    func parses(text: String, perSecond: Double) {
        let parsed = RateText.parse(text)
        #expect(parsed != nil)
        if let parsed { #expect(abs(parsed - perSecond) < 1e-12) }
    }

    @Test(arguments: ["", "/s", "-5/s", "1e400/s", "1e3", "10/parsec", "10 parsecs", "10/", "10/s/s", "ten/s", "10/5s",
                      "10/ms"])
    func rejects(text: String) {
        #expect(RateText.parse(text) == nil, "\(text) should be rejected")
    }
}
