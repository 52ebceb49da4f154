import Foundation
import Scenarios

/// plan.html: the sweep's table (medians over seeds, each SLO's "k of N") and, per SLO metric, a
/// chart across configurations of the metric's spread over seeds (min–max whisker, p10–p90 box,
/// median dot, the value the confidence rule judges as a tick) with the SLO's threshold drawn
/// across, axes with ticks and units, and every mark's values as SVG `<title>` hover text. One
/// self-contained file (no scripts, no network).
public enum CapacityPlanHTML {
    public static func render(_ plan: CapacityPlan, scenario: String, format: (Double, String) -> String) -> String {
        let rule = plan.rule
        let percent = String(format: "%g%%", rule.confidence * 100)
        var html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(HTMLReport.escape(scenario)) — capacity plan</title>
        <style>body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}h1{font-size:20px}
        h2{font-size:16px;margin-top:28px}table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
        td:first-child,th:first-child{text-align:left}.pass{color:#1a7f37}.fail{color:#cf222e}.best{background:#e6f4ea;font-weight:bold}
        svg{background:#fafafa;border:1px solid #e5e5e5}</style></head><body>
        <h1>\(HTMLReport.escape(scenario)) <small>capacity plan, \(plan.rows.count) configurations × \(rule.seeds) seeds</small></h1>
        <p>A configuration meets the SLOs when every SLO holds at once in at least \(rule.requiredPasses) of its \(rule.seeds) seeds (confidence \(percent)). Figures are medians over the seeds run.</p>
        """
        let best = plan.cheapest
        html += best.map { "<p>Cheapest configuration meeting every SLO: <b>\(HTMLReport.escape(plan.rows[$0].settingsText))</b> (\(plan.rows[$0].slotsText) slots).</p>" }
            ?? "<p class=\"fail\">No configuration meets every SLO at \(percent).</p>"
        let objectives = plan.rows.first?.slo.map(\.assertion) ?? []
        html += "<table><tr><th>configuration</th><th>slots</th><th>utilisation</th><th>throughput</th><th>queue wait p50</th><th>queue wait p99</th><th>peak memory</th><th>leftover</th>"
        html += objectives.map { "<th>\(HTMLReport.escape($0.text))<br><small>median · holds</small></th>" }.joined() + "<th>all SLOs<br><small>seeds</small></th></tr>"
        for (index, row) in plan.rows.enumerated() {
            html += "<tr\(index == best ? " class=\"best\"" : "")><td>\(HTMLReport.escape(row.settingsText))\(row.stoppedEarly ? " <small>(stopped early)</small>" : "")</td>"
            html += "<td>\(row.slotsText)</td><td>\(String(format: "%.0f%%", row.utilisation * 100))</td>"
            html += "<td>\(String(format: "%.1f/s", row.median(\.throughput)))</td>"
            html += "<td>\(humanDuration(microseconds: row.median { Double($0.queueWait.p50) }))</td><td>\(humanDuration(microseconds: row.median { Double($0.queueWait.p99) }))</td>"
            html += "<td>\(humanBytes(Int64(row.median { Double($0.peakMemoryBytes) })))</td><td>\(format(row.median { Double($0.leftover.total) }, "leftover"))</td>"
            for outcome in row.slo {
                let median = outcome.spread.median.map { format($0, outcome.assertion.metric) } ?? "unknown"
                html += "<td class=\"\(outcome.holds ? "pass" : "fail")\">\(HTMLReport.escape(median)) · \(outcome.spread.passes)/\(row.summaries.count)</td>"
            }
            html += "<td class=\"\(row.meetsSLO ? "pass" : "fail")\">\(row.allSLOPasses)/\(row.summaries.count)</td></tr>"
        }
        html += "</table>"
        for (sloIndex, assertion) in objectives.enumerated() {
            html += chart(plan, sloIndex: sloIndex, title: assertion.text, best: best, format: format)
        }
        return html + "</body></html>\n"
    }

    /// Round tick values from 0 to at least `peak`, about five: 1, 2 or 5 times a power of ten
    /// apart, or for times of a second and more (microseconds) a step a clock reads: 1, 2, 5, 10,
    /// 15 or 30 s, 1, 2, 5, 10, 15 or 30 min, or whole hours.
    /// Counts (`wholeNumbers`) step by at least 1: a count of tasks has no fractional ticks.
    public static func ticks(upTo peak: Double, isTime: Bool = false, wholeNumbers: Bool = false) -> [Double] {
        guard peak > 0, peak.isFinite else { return [0, 1] }
        // The report's charts' steps (SVGChart): a clock's from a second up, 1, 2 or 5 times a
        // power of ten below (a clock's steps under a second stop at 1 ms).
        var step = isTime && peak / 5 >= 1_000_000 ? SVGChart.niceTimeStep(peak / 1_000_000, count: 5) * 1_000_000
            : SVGChart.niceStep(peak, count: 5)
        if wholeNumbers { step = max(step, 1) }
        let count = Int((peak / step).rounded(.up))
        return (0...max(1, count)).map { Double($0) * step }
    }

    static func chart(_ plan: CapacityPlan, sloIndex: Int, title: String, best: Int?, format: (Double, String) -> String) -> String {
        let width = 1000.0, height = 290.0, left = 80.0, right = 10.0, bottom = 70.0, top = 12.0
        let plotHeight = height - top - bottom
        let assertion = plan.rows[0].slo[sloIndex].assertion
        let metric = assertion.metric
        let spreads = plan.rows.map { $0.slo[sloIndex].spread }
        let highs = spreads.compactMap(\.max).filter(\.isFinite)
        // A log scale would hide the threshold's meaning; cap the axis at 4× the threshold instead.
        // A zero threshold (`leftover == 0`) with every value zero still gets an axis up to 1.
        let cap = max(assertion.threshold * 4, highs.min() ?? 1, assertion.threshold == 0 ? 1 : 1e-9)
        let rawPeak = min(max(highs.max() ?? 1, assertion.threshold * 1.2, assertion.threshold == 0 ? 1 : 0), cap)
        let kind = Assertion.kind(of: metric)
        let ticks = Self.ticks(upTo: rawPeak, isTime: kind == .time, wholeNumbers: kind == .count)
        let peak = ticks.last ?? rawPeak
        func y(_ value: Double) -> Double { top + plotHeight * (1 - min(max(value, 0), peak) / peak) }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        let slot = (width - left - right) / Double(max(1, spreads.count))
        var svg = "<h2>\(HTMLReport.escape(title))</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">"
        svg += "<title>\(HTMLReport.escape(title)): median, p10–p90 and min–max over seeds per configuration; dashed line: the threshold</title>"
        // The value axis: gridlines and labels with units.
        for tick in ticks {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y(tick)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(tick)))\" stroke=\"#e0e0e0\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y(tick) + 4))\" font-size=\"11\" text-anchor=\"end\">\(HTMLReport.escape(format(tick, metric)))</text>"
        }
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotHeight))\" stroke=\"#888\"/>"
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(width - right))\" y2=\"\(f(top + plotHeight))\" stroke=\"#888\"/>"
        for (index, spread) in spreads.enumerated() {
            let row = plan.rows[index]
            let outcome = row.slo[sloIndex]
            let center = left + (Double(index) + 0.5) * slot
            let color = outcome.holds ? (index == best ? "#1a7f37" : "#5aa469") : "#cf222e"
            func show(_ value: Double?) -> String { value.map { format($0, metric) } ?? "-" }
            var hover = "\(row.settingsText) (\(row.slotsText) slots): median \(show(spread.median)), p10–p90 \(show(spread.p10))–\(show(spread.p90)), "
                + "min–max \(show(spread.min))–\(show(spread.max)), at \(String(format: "%g%%", plan.rule.confidence * 100)) \(show(spread.confidenceValue)); "
                + "holds in \(spread.passes) of \(row.summaries.count)"
            if row.stoppedEarly { hover += " (stopped early; \(row.seeds.count) planned)" }
            if let margin = outcome.confidenceMargin { hover += "; margin \(margin < 0 ? "-" : "+")\(format(abs(margin), metric))" }
            svg += "<g><title>\(HTMLReport.escape(hover))</title>"
            if let low = spread.min, let high = spread.max {
                svg += "<line x1=\"\(f(center))\" y1=\"\(f(y(low)))\" x2=\"\(f(center))\" y2=\"\(f(y(high)))\" stroke=\"\(color)\"/>"
            }
            if let p10 = spread.p10, let p90 = spread.p90 {
                let boxWidth = max(2, min(18, slot * 0.6))
                svg += "<rect x=\"\(f(center - boxWidth / 2))\" y=\"\(f(y(p90)))\" width=\"\(f(boxWidth))\" height=\"\(f(max(1, y(p10) - y(p90))))\" fill=\"\(color)\" fill-opacity=\"0.35\" stroke=\"\(color)\"/>"
            }
            if let value = spread.confidenceValue {
                let half = max(2, min(12, slot * 0.45))
                svg += "<line x1=\"\(f(center - half))\" y1=\"\(f(y(value)))\" x2=\"\(f(center + half))\" y2=\"\(f(y(value)))\" stroke=\"#222\" stroke-width=\"1.5\"/>"
            }
            if let median = spread.median {
                svg += "<circle cx=\"\(f(center))\" cy=\"\(f(y(median)))\" r=\"3\" fill=\"\(color)\"/>"
            }
            // A slot wide enough to hover even where the marks are thin.
            svg += "<rect x=\"\(f(center - slot / 2))\" y=\"\(f(top))\" width=\"\(f(slot))\" height=\"\(f(plotHeight))\" fill=\"transparent\"/></g>"
            if spreads.count <= 40 {
                svg += "<text x=\"\(f(center))\" y=\"\(f(top + plotHeight + 14))\" font-size=\"10\" text-anchor=\"middle\">\(row.slotsText)</text>"
                // The settings under the slots where they fit (about 5.5 px a character at this size).
                if Double(row.settingsText.count) * 5.5 <= slot {
                    svg += "<text x=\"\(f(center))\" y=\"\(f(top + plotHeight + 26))\" font-size=\"9\" fill=\"#555\" text-anchor=\"middle\">\(HTMLReport.escape(row.settingsText))</text>"
                }
            }
        }
        let lineY = y(assertion.threshold)
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(lineY))\" x2=\"\(f(width - right))\" y2=\"\(f(lineY))\" stroke=\"#cf222e\" stroke-dasharray=\"4 3\"><title>threshold: \(HTMLReport.escape(assertion.text))</title></line>"
        svg += "<text x=\"\(f(width - right - 4))\" y=\"\(f(lineY - 4))\" font-size=\"11\" text-anchor=\"end\" fill=\"#cf222e\">\(HTMLReport.escape(assertion.text))</text>"
        svg += "<text x=\"\(f(left + (width - left) / 2))\" y=\"\(f(height - 22))\" font-size=\"11\" text-anchor=\"middle\">paid slots per configuration (and its settings where they fit)</text>"
        svg += "<text x=\"\(f(left + (width - left) / 2))\" y=\"\(f(height - 6))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">"
            + "dot: median over seeds · box: p10–p90 · whisker: min–max · black tick: the value at \(String(format: "%g%%", plan.rule.confidence * 100)) · values above \(HTMLReport.escape(format(peak, metric))) are cut</text>"
        svg += "<text x=\"14\" y=\"\(f(top + plotHeight / 2))\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(top + plotHeight / 2)))\">\(HTMLReport.escape(metric)) (\(HTMLReport.escape(unitLabel(metric))))</text>"
        return svg + "</svg>"
    }

    /// The unit a metric's axis reads in.
    static func unitLabel(_ metric: String) -> String {
        switch Assertion.kind(of: metric) {
        case .time: return "time"
        case .size: return "bytes"
        case .rate: return "tasks/s"
        case .count, nil: return "count"
        }
    }
}
