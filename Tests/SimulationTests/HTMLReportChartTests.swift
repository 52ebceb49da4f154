import Foundation
@testable import Reports
import Scenarios
import Simulation
import Testing

/// report.html for a capacity planner: the stranded-run warning, the fleet and settings, the
/// per-type table, ticks with units, thresholds on their chart, and hover titles.
@Suite("report.html: fleet, warnings, ticks, thresholds, hover")
struct HTMLReportChartTests {
    @Test("a stranded run: warning box first, thresholds drawn, hover titles, ticks with units")
    func stranded() throws {
        var summary = try Simulator(scenario: CensoredWaitTests.strandingScenario()).run().summary
        summary.appliedSettings = ["workers=3", "prefetch_multiplier=1"]
        let html = HTMLReport.render(summary, assertions: [
            .init(text: "queue_wait.p99 < 60s", holds: false, actual: "3m00s", metric: "queue_wait.p99", threshold: 60_000_000),
            .init(text: "lost == 0", holds: true, actual: "0", metric: "lost", threshold: 0),
        ])
        let warning = try #require(html.range(of: "class=\"warning\""))
        let summaryTable = try #require(html.range(of: "<h2>Summary</h2>"))
        #expect(warning.lowerBound < summaryTable.lowerBound, "the warning comes before the figures")
        #expect(html.contains("tasks never started, counted as waiting until the end of the run (censored)"))
        // Fleet and settings.
        #expect(html.contains("<h2>Fleet</h2>"))
        #expect(html.contains("<h2>Settings applied</h2>"))
        #expect(html.contains("<code>prefetch_multiplier=1</code>"))
        // Per-type table.
        #expect(html.contains("<h2>By task type</h2>"))
        #expect(html.contains("<td>app.stranded</td>"))
        // The queue-wait threshold is drawn (a dashed line, red because it fails) on that chart only.
        let waitChart = try #require(html.range(of: "Queue wait of tasks started in each interval"))
        let thresholdLine = try #require(html.range(of: "stroke-dasharray=\"6 4\"><title>queue_wait.p99 &lt; 60s</title>"))
        #expect(thresholdLine.lowerBound > waitChart.lowerBound)
        #expect(html.components(separatedBy: "stroke-dasharray").count - 1 == 1, "lost == 0 has no chart")
        #expect(html.contains("stroke=\"#cf222e\" stroke-dasharray"))
        // Every chart has hover titles on its points and several labelled y ticks with units.
        #expect(html.components(separatedBy: "class=\"h\"").count - 1 > 20)
        #expect(html.contains("time since the start of the run"))
        let waitSection = String(html[waitChart.lowerBound...].prefix(6000))
        let tickLabels = waitSection.components(separatedBy: "text-anchor=\"end\">").dropFirst().map { $0.prefix { $0 != "<" } }
        #expect(tickLabels.count >= 4)
        #expect(tickLabels.contains("1m00s") || tickLabels.contains("2m00s") || tickLabels.contains("50.00s"))
        #expect(tickLabels.allSatisfy { $0.last.map { "smµ".contains($0) } ?? false }, "\(tickLabels)")
    }

    @Test("a clean run has no warning box and no settings section")
    func clean() throws {
        let summary = try Simulator(scenario: makeScenario(rate: 5)).run().summary
        let html = HTMLReport.render(summary)
        #expect(!html.contains("class=\"warning\""))
        #expect(!html.contains("Settings applied"))
        #expect(html.contains("<h2>Fleet</h2>"))
    }

    @Test("round ticks: 1, 2 or 5 times a power of ten, and round times")
    func niceSteps() {
        #expect(SVGChart.niceStep(93, count: 4) == 50)
        #expect(SVGChart.niceStep(7, count: 4) == 2)
        #expect(SVGChart.niceStep(40_000_000, count: 4) == 10_000_000)
        #expect(SVGChart.niceTimeStep(660, count: 6) == 120)
        #expect(SVGChart.niceTimeStep(3 * 3600, count: 6) == 1800)
    }

    @Test("memory ticks step by round binary sizes: 2.9 GiB in 1 GiB steps, not 953.7 MiB ones")
    func byteSteps() {
        let gib = 1024.0 * 1024 * 1024, mib = 1024.0 * 1024
        #expect(SVGChart.niceByteStep(2.9 * gib, count: 4) == 1 * gib)
        #expect(SVGChart.niceByteStep(300 * mib, count: 4) == 100 * mib)
        #expect(SVGChart.niceByteStep(900 * mib, count: 4) == 256 * mib)
        #expect(SVGChart.niceByteStep(40 * 1024, count: 4) == 10 * 1024)
    }
}
