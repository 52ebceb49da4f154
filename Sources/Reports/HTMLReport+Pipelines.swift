import Foundation

/// The Pipelines section of report.html: the same figures as the terminal's "pipelines" block,
/// one table of roots and one of stages per root, with a warning line first when a pipeline or
/// a chord join is stuck (the run's worst news about pipelines should not hide in a table cell).
extension HTMLReport {
    static func pipelineSection(_ s: RunSummary) -> String {
        guard let pipelines = s.pipelines, !pipelines.isEmpty else { return "" }
        func time(_ us: UInt64) -> String { humanDuration(microseconds: Double(us)) }
        var html = "<h2>Pipelines</h2>"
        if let warning = PipelineText.stuckWarning(s) {
            html += "<div class=\"warning\"><p>WARNING: \(escape(warning)).</p></div>"
        }
        if let all = s.pipelineLatency {
            html += "<p>Pipeline latency over every root: p50 \(time(all.p50)), p99 \(time(all.p99)), max \(time(all.max)).</p>"
        }
        html += "<table><tr><th>root</th><th>shape</th><th>started</th><th>completed</th><th>failed</th><th>stuck</th>"
            + "<th>latency p50</th><th>latency p99</th><th>latency max</th><th>load ×</th>"
            + "<th>fan-out p50 / p99 / max</th><th>joins fired / failed / stuck</th></tr>"
        for p in pipelines {
            let fanOut = p.fanOutMembers.map { "\($0.p50) / \($0.p99) / \($0.max)" } ?? "—"
            let joins = p.joins.map { "\($0.fired) / \($0.failed) / \($0.stuck)" } ?? "—"
            let cells = [p.root, p.shape, "\(p.started)", "\(p.completed)", "\(p.failed)", "\(p.stuck)",
                         time(p.latency.p50), time(p.latency.p99), time(p.latency.max),
                         String(format: "%.2f", p.loadMultiplier), fanOut, joins]
            html += "<tr>" + cells.map { "<td>\(escape($0))</td>" }.joined() + "</tr>"
        }
        html += "</table>"
        for p in pipelines {
            html += "<h3>\(escape(p.root)) by stage</h3><table><tr><th>stage</th><th>tasks</th><th>ended</th>"
                + "<th>span p50</th><th>span p99</th><th>span max</th></tr>"
            for stage in p.stages {
                let cells = [stage.stage, "\(stage.tasks)", "\(stage.ended)",
                             time(stage.span.p50), time(stage.span.p99), time(stage.span.max)]
                html += "<tr>" + cells.map { "<td>\(escape($0))</td>" }.joined() + "</tr>"
            }
            html += "</table>"
            if !p.stuckExamples.isEmpty {
                html += "<p>Stuck examples:</p><ul>" + p.stuckExamples.map { "<li><code>\(escape($0))</code></li>" }.joined() + "</ul>"
            }
        }
        return html
    }
}
