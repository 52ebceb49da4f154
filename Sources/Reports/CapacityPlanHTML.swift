import Foundation

/// plan.html: the sweep's table and, per SLO metric, a bar per configuration with the SLO's
/// threshold drawn across, the cheapest configuration that meets every SLO marked. One
/// self-contained file (no scripts, no network).
public enum CapacityPlanHTML {
    public static func render(_ plan: CapacityPlan, scenario: String, format: (Double, String) -> String) -> String {
        var html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(HTMLReport.escape(scenario)) — capacity plan</title>
        <style>body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}h1{font-size:20px}
        h2{font-size:16px;margin-top:28px}table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
        td:first-child,th:first-child{text-align:left}.pass{color:#1a7f37}.fail{color:#cf222e}.best{background:#e6f4ea;font-weight:bold}
        svg{background:#fafafa;border:1px solid #e5e5e5}</style></head><body>
        <h1>\(HTMLReport.escape(scenario)) <small>capacity plan, \(plan.rows.count) configurations</small></h1>
        """
        let best = plan.cheapest
        html += best.map { "<p>Cheapest configuration meeting every SLO: <b>\(HTMLReport.escape(plan.rows[$0].settings.map(\.description).joined(separator: " ")))</b> (\(plan.rows[$0].slotsText) slots).</p>" }
            ?? "<p class=\"fail\">No configuration meets every SLO.</p>"
        let sloNames = plan.rows.first?.slo.map { $0.assertion.text } ?? []
        html += "<table><tr><th>configuration</th><th>slots</th><th>utilisation</th><th>throughput</th><th>queue wait p50</th><th>queue wait p99</th><th>peak memory</th>"
        html += sloNames.map { "<th>\(HTMLReport.escape($0))</th>" }.joined() + "</tr>"
        for (index, row) in plan.rows.enumerated() {
            html += "<tr\(index == best ? " class=\"best\"" : "")><td>\(HTMLReport.escape(row.settings.map(\.description).joined(separator: " ")))</td>"
            html += "<td>\(row.slotsText)</td><td>\(String(format: "%.0f%%", row.utilisation * 100))</td>"
            html += "<td>\(String(format: "%.1f/s", row.summary.throughput))</td>"
            html += "<td>\(humanDuration(microseconds: Double(row.summary.queueWait.p50)))</td><td>\(humanDuration(microseconds: Double(row.summary.queueWait.p99)))</td>"
            html += "<td>\(humanBytes(row.summary.peakMemoryBytes))</td>"
            for outcome in row.slo {
                html += "<td class=\"\(outcome.holds ? "pass" : "fail")\">\(outcome.value.map { format($0, outcome.assertion.metric) } ?? "unknown")</td>"
            }
            html += "</tr>"
        }
        html += "</table>"
        for (sloIndex, name) in sloNames.enumerated() {
            html += bars(plan, sloIndex: sloIndex, title: name, best: best, format: format)
        }
        return html + "</body></html>\n"
    }

    static func bars(_ plan: CapacityPlan, sloIndex: Int, title: String, best: Int?, format: (Double, String) -> String) -> String {
        let width = 1000.0, height = 240.0, left = 80.0, bottom = 40.0, top = 10.0
        let plotHeight = height - top - bottom
        let values = plan.rows.map { $0.slo[sloIndex].value ?? 0 }
        let assertion = plan.rows[0].slo[sloIndex].assertion
        // A log scale would hide the threshold's meaning; cap the axis at 4× the threshold instead.
        let cap = max(assertion.threshold * 4, values.filter(\.isFinite).min() ?? 1, 1e-9)
        let peak = min(max(values.filter(\.isFinite).max() ?? 1, assertion.threshold * 1.2), cap)
        let slot = (width - left - 10) / Double(max(1, values.count))
        var svg = "<h2>\(HTMLReport.escape(title))</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
        for (index, value) in values.enumerated() {
            let shown = min(value.isFinite ? value : peak, peak)
            let barHeight = plotHeight * shown / peak
            let x = left + Double(index) * slot + 1
            let color = plan.rows[index].slo[sloIndex].holds ? (index == best ? "#1a7f37" : "#7cc48a") : "#e5868b"
            svg += "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(String(format: "%.1f", top + plotHeight - barHeight))\" width=\"\(String(format: "%.1f", max(1, slot - 2)))\" height=\"\(String(format: "%.1f", barHeight))\" fill=\"\(color)\"><title>\(HTMLReport.escape(plan.rows[index].settings.map(\.description).joined(separator: " "))): \(HTMLReport.escape(format(value, assertion.metric)))</title></rect>"
            if values.count <= 40 {
                svg += "<text x=\"\(String(format: "%.1f", x + slot / 2))\" y=\"\(height - bottom + 14)\" font-size=\"10\" text-anchor=\"middle\">\(plan.rows[index].slotsText)</text>"
            }
        }
        let lineY = top + plotHeight * (1 - min(assertion.threshold, peak) / peak)
        svg += "<line x1=\"\(left)\" y1=\"\(String(format: "%.1f", lineY))\" x2=\"\(width - 10)\" y2=\"\(String(format: "%.1f", lineY))\" stroke=\"#cf222e\" stroke-dasharray=\"4 3\"/>"
        svg += "<text x=\"\(left - 6)\" y=\"\(String(format: "%.1f", lineY + 4))\" font-size=\"11\" text-anchor=\"end\">\(HTMLReport.escape(format(assertion.threshold, assertion.metric)))</text>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + 10)\" font-size=\"11\" text-anchor=\"end\">\(HTMLReport.escape(format(peak, assertion.metric)))</text>"
        svg += "<text x=\"\(left + (width - left) / 2)\" y=\"\(height - 6)\" font-size=\"11\" text-anchor=\"middle\">slots per configuration (bars above the axis cap are cut)</text>"
        return svg + "</svg>"
    }
}
