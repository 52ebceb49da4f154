import Foundation

/// One SVG line chart of a report: axes with several labelled ticks in the metric's unit, a
/// horizontal line for each scenario threshold on the metric, and a hover title on every point
/// (SVG `<title>`, no script). Long series are reduced to at most `maxPoints` by keeping each
/// bucket's maximum, so peaks survive and a three-hour run stays small.
struct SVGChart {
    /// A named, coloured series of values, one per time.
    struct Series { var name: String; var color: String; var values: [Double] }
    /// A threshold drawn across the plot (an assertion like `queue_wait.p99 < 30s`).
    struct Threshold { var label: String; var value: Double; var holds: Bool }

    var title: String
    var times: [Double]
    var series: [Series]
    var thresholds: [Threshold] = []
    /// How a value reads with its unit (durations, bytes, tasks/s).
    var format: (Double) -> String
    var maxPoints = 180
    /// Values are microseconds: y ticks at round durations (10 s, 1 min, 5 min...) rather than
    /// round numbers of microseconds (20 s, 200 s...).
    var microsecondValues = false
    /// Values are bytes: ticks step by round binary sizes (256 MiB, 1 GiB), as `humanBytes` prints them.
    var byteValues = false

    static let width = 900.0, height = 240.0, left = 78.0, right = 28.0, top = 12.0, bottom = 40.0
    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }

    /// A round step near `span / count`: 1, 2 or 5 times a power of ten.
    static func niceStep(_ span: Double, count: Int) -> Double {
        guard span > 0 else { return 1 }
        let raw = span / Double(count)
        let power = pow(10, floor(log10(raw)))
        for factor in [1.0, 2.0, 5.0, 10.0] where factor * power >= raw { return factor * power }
        return 10 * power
    }

    /// A round step of time in seconds near `span / count` (1, 2, 5, 10, 15, 30 s, minutes, hours).
    static func niceTimeStep(_ span: Double, count: Int) -> Double {
        let raw = span / Double(count)
        let steps: [Double] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600,
                               900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        return steps.first { $0 >= raw } ?? niceStep(span, count: count)
    }

    /// A round step of bytes near `span / count`: 1, 2 or 5 times a power of ten of the binary
    /// unit (KiB, MiB, GiB) the step falls in, or 256 and 512 of it.
    static func niceByteStep(_ span: Double, count: Int) -> Double {
        guard span > 0 else { return 1 }
        let raw = span / Double(count)
        var unit = 1.0
        while raw >= unit * 1024 { unit *= 1024 }
        let factors: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 256, 512, 1024]
        return (factors.first { $0 * unit >= raw } ?? 1024) * unit
    }

    /// The largest value in `values[lower..<upper]` (0 past the end).
    func bucketMax(_ values: [Double], _ lower: Int, _ upper: Int) -> Double {
        lower < values.count ? values[lower..<min(upper, values.count)].max() ?? 0 : 0
    }

    func render() -> String {
        let w = Self.width, h = Self.height, left = Self.left, top = Self.top
        let plotWidth = Self.plotWidth, plotHeight = Self.plotHeight
        let bucket = max(1, Int((Double(times.count) / Double(maxPoints)).rounded(.up)))
        let start = times.first ?? 0, end = max(times.last ?? 1, start + 1e-9)
        let dataPeak = series.flatMap(\.values).max() ?? 0
        let wanted = max(dataPeak, (thresholds.map(\.value).max() ?? 0) * 1.05, 1e-9)
        let step = microsecondValues ? Self.niceTimeStep(wanted / 1_000_000, count: 4) * 1_000_000
            : byteValues ? Self.niceByteStep(wanted, count: 4) : Self.niceStep(wanted, count: 4)
        let peak = max(step, (wanted / step).rounded(.up) * step)
        func x(_ time: Double) -> Double { left + plotWidth * (time - start) / (end - start) }
        func y(_ value: Double) -> Double { top + plotHeight * (1 - value / peak) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var svg = "<h3 style=\"font-size:14px\">\(HTMLReport.escape(title))</h3><div class=\"legend\">"
        for s in series { svg += "<span style=\"color:\(s.color)\">■ \(HTMLReport.escape(s.name))</span>" }
        for t in thresholds { svg += "<span class=\"\(t.holds ? "pass" : "fail")\">┅ \(HTMLReport.escape(t.label))</span>" }
        svg += "</div><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
        // Y axis: gridlines and labels at each step, in the metric's unit.
        var value = 0.0
        while value <= peak * 1.0001 {
            let yy = y(value)
            svg += "<line x1=\"\(left)\" y1=\"\(f(yy))\" x2=\"\(w - Self.right)\" y2=\"\(f(yy))\" stroke=\"#e5e5e5\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(f(yy + 4))\" font-size=\"11\" text-anchor=\"end\">\(HTMLReport.escape(format(value)))</text>"
            value += step
        }
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(w - Self.right)\" y2=\"\(top + plotHeight)\" stroke=\"#999\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotHeight)\" stroke=\"#999\"/>"
        // X axis: time since the start of the run, at round steps.
        let timeStep = Self.niceTimeStep(end - start, count: 6)
        var tick = (start / timeStep).rounded(.up) * timeStep
        while tick <= end + 1e-9 {
            let xx = x(tick)
            svg += "<line x1=\"\(f(xx))\" y1=\"\(top + plotHeight)\" x2=\"\(f(xx))\" y2=\"\(top + plotHeight + 4)\" stroke=\"#999\"/>"
            svg += "<text x=\"\(f(xx))\" y=\"\(f(top + plotHeight + 16))\" font-size=\"11\" text-anchor=\"middle\">\(HTMLReport.escape(humanDuration(microseconds: tick * 1_000_000)))</text>"
            tick += timeStep
        }
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(h - 4))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#666\">time since the start of the run</text>"
        // Thresholds: dashed, green when the assertion holds, red when it fails.
        for t in thresholds {
            let yy = y(t.value)
            let color = t.holds ? "#1a7f37" : "#cf222e"
            svg += "<line x1=\"\(left)\" y1=\"\(f(yy))\" x2=\"\(w - Self.right)\" y2=\"\(f(yy))\" stroke=\"\(color)\" stroke-dasharray=\"6 4\"><title>\(HTMLReport.escape(t.label))</title></line>"
            svg += "<text x=\"\(w - Self.right - 4)\" y=\"\(f(yy - 4))\" font-size=\"11\" text-anchor=\"end\" fill=\"\(color)\">\(HTMLReport.escape(t.label))</text>"
        }
        // The series, one point per bucket (its maximum).
        let buckets = stride(from: 0, to: times.count, by: bucket).map { ($0, min(times.count, $0 + bucket)) }
        for s in series {
            let points = buckets.map { lower, upper in
                "\(f(x(times[lower]))),\(f(y(bucketMax(s.values, lower, upper))))"
            }
            svg += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>"
        }
        // Hover: one transparent column per point with every series' value there.
        for (index, (lower, upper)) in buckets.enumerated() {
            let x0 = x(times[lower]), x1 = index + 1 < buckets.count ? x(times[buckets[index + 1].0]) : w - Self.right
            let values = series.map { s in "\(s.name) \(format(bucketMax(s.values, lower, upper)))" }
            // Class `h` (transparent fill, in the page's style) keeps each column short: a three-hour run's report stays small.
            svg += "<rect class=\"h\" x=\"\(f(x0))\" width=\"\(f(max(0.5, x1 - x0)))\" height=\"\(Int(top + plotHeight))\">"
                + "<title>\(HTMLReport.escape(humanDuration(microseconds: times[lower] * 1_000_000))): \(HTMLReport.escape(values.joined(separator: ", ")))</title></rect>"
        }
        return svg + "</svg>"
    }
}
