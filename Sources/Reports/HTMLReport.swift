import Foundation

/// A run's report.html: the summary table and SVG charts over time, in one self-contained file
/// that opens from disk with no network (no scripts, no fonts, no external references).
public enum HTMLReport {
    public struct AssertionLine: Sendable {
        public var text: String
        public var holds: Bool
        public var actual: String
        public init(text: String, holds: Bool, actual: String) { self.text = text; self.holds = holds; self.actual = actual }
    }

    public static func render(_ s: RunSummary, assertions: [AssertionLine] = []) -> String {
        var html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(escape(s.scenario)) — Lovage</title>
        <style>body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:960px}h1{font-size:20px}
        h2{font-size:16px;margin-top:28px}table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}
        td:first-child,th:first-child{text-align:left}.pass{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}
        svg{background:#fafafa;border:1px solid #e5e5e5}.legend span{margin-right:14px}</style></head><body>
        <h1>\(escape(s.scenario)) <small>(\(escape(s.mode)), seed \(s.seed), trace \(escape(s.traceHash)))</small></h1>
        <p>\(humanDuration(microseconds: s.virtualDurationSeconds * 1_000_000)) of \(s.mode == "sim" ? "virtual" : "real") time.</p>
        """
        html += summaryTable(s)
        if !assertions.isEmpty {
            html += "<h2>Assertions</h2><table>"
            for line in assertions {
                html += "<tr><td>\(escape(line.text))</td><td class=\"\(line.holds ? "pass" : "fail")\">\(line.holds ? "pass" : "FAIL")</td><td>\(escape(line.actual))</td></tr>"
            }
            html += "</table>"
        }
        html += charts(s)
        html += findings(s)
        html += "</body></html>\n"
        return html
    }

    // MARK: Table

    static func summaryTable(_ s: RunSummary) -> String {
        let c = s.counts
        var rows: [(String, String)] = [
            ("published", "\(c.published)"), ("succeeded", "\(c.succeeded)"), ("failed", "\(c.failed)"),
            ("retried", "\(c.retried)"), ("revoked", "\(c.revoked)"), ("duplicated", "\(c.duplicates)"),
            ("lost", "\(c.lost)"), ("restored by the visibility sweep", "\(c.restored)"),
            ("given back at shutdown", "\(c.givenBack)"), ("worker lost", "\(c.workerLost)"),
            ("children recycled", "\(c.recycled)"), ("throughput", String(format: "%.2f tasks/s", s.throughput)),
            ("peak queue depth", "\(s.peakQueueDepth)"), ("peak workers / running", "\(s.peakWorkers) / \(s.peakRunning)"),
            ("peak memory", humanBytes(s.peakMemoryBytes)),
        ]
        rows.append(("leftover", s.leftover.total == 0 ? "none" : "queued \(s.leftover.queued), held \(s.leftover.held), unacked \(s.leftover.unacked), running \(s.leftover.running)"))
        var html = "<h2>Summary</h2><table>"
        for (name, value) in rows { html += "<tr><td>\(escape(name))</td><td>\(escape(value))</td></tr>" }
        html += "</table><h2>Percentiles</h2><table><tr><th></th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>"
        for (name, p) in [("queue wait", s.queueWait), ("run time", s.runTime), ("latency (end to end)", s.latency)] {
            html += "<tr><td>\(name)</td>" + [p.p50, p.p90, p.p99, p.max].map { "<td>\(humanDuration(microseconds: Double($0)))</td>" }.joined() + "</tr>"
        }
        return html + "</table>"
    }

    static func findings(_ s: RunSummary) -> String {
        guard s.mode == "sim" else {
            // A real run has no trace: duplicates come from the fleet's task events, invariants are not checked.
            let publisher = s.publisher.map { "<p>\($0.sendsBehind) send(s) more than 10 ms behind the schedule; max lag \(humanDuration(microseconds: Double($0.maxLagMicros))).</p>" } ?? ""
            return "<h2>Publisher</h2>" + publisher + duplicates(s)
                + "<h2>Invariants</h2><p>not checked in a real run (no trace of executions); tasks without a final result count as leftover.</p>"
        }
        var html = duplicates(s)
        html += "<h2>Invariants</h2>"
        if s.invariantViolations.isEmpty {
            html += "<p class=\"pass\">all held</p>"
        } else {
            html += "<table><tr><th>invariant</th><th>subject</th><th>at</th><th>detail</th></tr>"
            for v in s.invariantViolations.prefix(200) {
                html += "<tr><td class=\"fail\">\(escape(v.invariant))</td><td>\(escape(v.subject))</td><td>\(String(format: "%.3f s", v.atSeconds))</td><td>\(escape(v.detail))</td></tr>"
            }
            html += "</table>"
        }
        return html
    }

    /// The duplicates by cause; in a real run, counted from the task events the fleet published
    /// with -E (a second task-started of the same task id and retries), with what the subscriber saw.
    static func duplicates(_ s: RunSummary) -> String {
        var html = "<h2>Duplicates</h2>"
        if s.mode != "sim" {
            guard let events = s.taskEvents else {
                return html + "<p>not counted: no fleet ran, so there were no task events.</p>"
            }
            html += "<p>Counted from Celery's task events (the fleet runs with -E): \(events.started) task-started and "
                + "\(events.received) task-received events, \(events.redelivered) deliveries received again. "
                + "A second task-started of the same task id and retries is a duplicate.</p>"
            if !events.complete { html += "<p class=\"fail\">incomplete: \(escape(events.note))</p>" }
        }
        if s.duplicateCauses.isEmpty {
            html += "<p>none</p>"
        } else {
            html += "<table><tr><th>count</th><th>cause</th><th>example</th></tr>"
            for cause in s.duplicateCauses {
                html += "<tr><td>\(cause.count)</td><td>\(escape(cause.cause))</td><td>\(escape(cause.exampleTaskID))</td></tr>"
            }
            html += "</table>"
        }
        return html
    }

    // MARK: Charts

    static func charts(_ s: RunSummary) -> String {
        let t = s.timeline
        guard t.count >= 2 else { return "" }
        let times = t.map(\.atSeconds)
        func rate(_ value: (RunSummary.TimelineSample) -> Int) -> [Double] {
            var out: [Double] = [0]
            for i in 1..<t.count {
                let dt = max(1e-9, t[i].atSeconds - t[i - 1].atSeconds)
                out.append(Double(value(t[i]) - value(t[i - 1])) / dt)
            }
            return out
        }
        var html = "<h2>Over time</h2>"
        html += chart("Throughput (tasks finished per second)", times: times,
                      series: [("finished/s", "#1f77b4", rate { $0.succeeded + $0.failed })], format: { String(format: "%.1f", $0) })
        html += chart("Queue depth (messages in broker lists)", times: times,
                      series: queueSeries(s), format: { String(format: "%.0f", $0) })
        html += chart("Held for eta and unacknowledged", times: times,
                      series: [("held for eta", "#bcbd22", t.map { Double($0.held) }), ("in unacked", "#7f7f7f", t.map { Double($0.unacked) })],
                      format: { String(format: "%.0f", $0) })
        html += chart("Queue wait of tasks started in each interval", times: times,
                      series: [("p50", "#2ca02c", t.map { Double($0.queueWaitP50) }), ("p99", "#ff7f0e", t.map { Double($0.queueWaitP99) })],
                      format: { humanDuration(microseconds: $0) })
        html += chart("Workers: pool size and running tasks", times: times,
                      series: [("pool size", "#9467bd", t.map { Double($0.poolSize) }), ("running", "#8c564b", t.map { Double($0.running) })],
                      format: { String(format: "%.0f", $0) })
        if t.contains(where: { $0.fleet != nil }) {
            html += chart("Fleet scaler: desired and running workers", times: times,
                          series: [("desired", "#d62728", t.map { Double($0.fleet?.desiredWorkers ?? 0) }),
                                   ("running", "#1f77b4", t.map { Double($0.workers) })],
                          format: { String(format: "%.0f", $0) })
            html += chart("Backlog: what KEDA reads (LLEN of one list) and what Celery holds (all lists + unacked)", times: times,
                          series: [("KEDA's LLEN", "#ff7f0e", t.map { Double($0.fleet?.kedaListLength ?? 0) }),
                                   ("Celery's backlog", "#2ca02c", t.map { Double($0.fleet?.celeryBacklog ?? 0) })],
                          format: { String(format: "%.0f", $0) })
        }
        html += chart(s.mode == "sim" ? "Memory (modelled, all workers)" : "Memory (jemalloc resident, workers and children)", times: times,
                      series: [("memory", "#17becf", t.map { Double($0.memoryBytes) })], format: { humanBytes(Int64($0)) })
        if t.contains(where: { $0.recycled > 0 }) {
            html += chart("Children recycled per second (max_tasks_per_child, max_memory_per_child)", times: times,
                          series: [("recycles/s", "#8c564b", rate { $0.recycled })], format: { String(format: "%.1f", $0) })
        }
        html += chart("Retries per second", times: times,
                      series: [("retries/s", "#e377c2", rate { $0.retried })], format: { String(format: "%.1f", $0) })
        return html
    }

    /// The total, and each list (queue and priority step) when there are several, the busiest six.
    static func queueSeries(_ s: RunSummary) -> [(String, String, [Double])] {
        let t = s.timeline
        var series: [(String, String, [Double])] = [("all lists", "#d62728", t.map { Double($0.queued) })]
        guard s.timelineLists.count > 1 else { return series }
        let colors = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]
        let peaks = s.timelineLists.indices.map { index in
            (index, t.map { index < $0.queuedByList.count ? $0.queuedByList[index] : 0 }.max() ?? 0)
        }
        let busiest = peaks.filter { $0.1 > 0 }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(colors.count)
        for (rank, (index, _)) in busiest.enumerated() {
            series.append((s.timelineLists[index], colors[rank],
                           t.map { Double(index < $0.queuedByList.count ? $0.queuedByList[index] : 0) }))
        }
        return series
    }

    /// One SVG line chart; long series are reduced to at most `maxPoints` by keeping each bucket's
    /// maximum, so peaks survive and a one-hour run stays small.
    static func chart(_ title: String, times: [Double], series: [(String, String, [Double])],
                      format: (Double) -> String, maxPoints: Int = 480) -> String {
        let width = 900.0, height = 220.0, left = 70.0, right = 10.0, top = 10.0, bottom = 30.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let bucket = max(1, Int((Double(times.count) / Double(maxPoints)).rounded(.up)))
        let start = times.first ?? 0, end = max(times.last ?? 1, start + 1e-9)
        let peak = max(series.flatMap { $0.2 }.max() ?? 0, 1e-9)
        var svg = "<h3 style=\"font-size:14px\">\(escape(title))</h3><div class=\"legend\">"
        for (name, color, _) in series { svg += "<span style=\"color:\(color)\">■ \(escape(name))</span>" }
        svg += "</div><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(width - right)\" y2=\"\(top + plotHeight)\" stroke=\"#999\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotHeight)\" stroke=\"#999\"/>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + 10)\" font-size=\"11\" text-anchor=\"end\">\(escape(format(peak)))</text>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + plotHeight)\" font-size=\"11\" text-anchor=\"end\">0</text>"
        for (fraction, anchor) in [(0.0, "start"), (0.5, "middle"), (1.0, "end")] {
            let x = left + plotWidth * fraction
            let label = humanDuration(microseconds: (start + (end - start) * fraction) * 1_000_000)
            svg += "<text x=\"\(String(format: "%.1f", x))\" y=\"\(height - 8)\" font-size=\"11\" text-anchor=\"\(anchor)\">\(escape(label))</text>"
        }
        for (_, color, values) in series {
            var points: [String] = []
            var index = 0
            while index < values.count {
                let upper = min(values.count, index + bucket)
                let value = values[index..<upper].max() ?? 0
                let x = left + plotWidth * (times[index] - start) / (end - start)
                let y = top + plotHeight * (1 - value / peak)
                points.append(String(format: "%.1f,%.1f", x, y))
                index = upper
            }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>"
        }
        return svg + "</svg>"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
