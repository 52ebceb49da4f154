import Foundation
import Reports
import Simulation
import Testing

@Suite("report.html")
struct HTMLReportTests {
    @Test("self-contained: six SVG charts, the summary and the assertions, no external reference")
    func selfContained() throws {
        var scenario = makeScenario(duration: .seconds(300), rate: 10)
        scenario.name = "<b>risky & name</b>"
        let summary = try Simulator(scenario: scenario).run().summary
        let html = HTMLReport.render(summary, assertions: [.init(text: "lost == 0", holds: true, actual: "0")])
        #expect(html.components(separatedBy: "<svg ").count - 1 == 7)
        #expect(html.contains("&lt;b&gt;risky &amp; name&lt;/b&gt;"))
        #expect(!html.contains("<b>risky"))
        #expect(html.contains("lost == 0"))
        #expect(html.contains(summary.traceHash))
        let references = html.components(separatedBy: "http").dropFirst().map { String($0.prefix(30)) }
        #expect(references.allSatisfy { $0.hasPrefix("://www.w3.org/2000/svg") }, "only the SVG namespace")
        #expect(!html.contains("<script"))
    }

    @Test("a long timeline is reduced: the charts stay small")
    func bounded() throws {
        let summary = try Simulator(scenario: makeScenario(duration: .seconds(3 * 3600), drain: .seconds(60), rate: 0.5)).run().summary
        #expect(summary.timeline.count > 3000)
        let html = HTMLReport.render(summary)
        #expect(html.utf8.count < 200_000)
    }
}

@Suite("Coarse histogram")
struct CoarseHistogramTests {
    @Test("percentiles land within a quarter-octave of the true value", arguments: [1, 7, 100, 999, 12_345, 3_600_000_000])
    func accuracy(value: Int64) {
        var histogram = CoarseHistogram()
        for _ in 0..<10 { histogram.record(microseconds: value) }
        let p50 = Double(histogram.value(atPercentile: 50))
        #expect(p50 >= Double(value) && p50 <= Double(value) * 1.26 + 1)
    }

    @Test("p50 and p99 of a spread and a reset")
    func spread() {
        var histogram = CoarseHistogram()
        for value in 1...1000 { histogram.record(microseconds: Int64(value)) }
        #expect((480...640).contains(histogram.value(atPercentile: 50)))
        #expect((990...1279).contains(histogram.value(atPercentile: 99)))
        histogram.reset()
        #expect(histogram.value(atPercentile: 99) == 0)
        histogram.record(microseconds: 0)
        #expect(histogram.value(atPercentile: 50) == 0)
    }
}
