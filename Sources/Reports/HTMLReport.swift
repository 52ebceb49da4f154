import Foundation

/// A run's report.html: the summary table and SVG charts over time, in one self-contained file
/// that opens from disk with no network (no scripts, no fonts, no external references).
public enum HTMLReport {
    public struct AssertionLine: Sendable {
        public var text: String
        public var holds: Bool
        public var actual: String
        /// The metric and threshold (in the metric's unit: µs for times, bytes for sizes), to draw
        /// the threshold on the chart of the metric; nil: not drawn.
        public var metric: String?
        public var threshold: Double?
        public init(text: String, holds: Bool, actual: String, metric: String? = nil, threshold: Double? = nil) {
            self.text = text; self.holds = holds; self.actual = actual; self.metric = metric; self.threshold = threshold
        }
    }

    public static func render(_ s: RunSummary, assertions: [AssertionLine] = []) -> String {
        var html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(escape(s.scenario)) — Lovage</title>
        <style>body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:960px}h1{font-size:20px}
        h2{font-size:16px;margin-top:28px}table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}
        td:first-child,th:first-child{text-align:left}.pass{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}
        svg{background:#fafafa;border:1px solid #e5e5e5}.legend span{margin-right:14px}
        .warning{border:2px solid #cf222e;background:#fff0f0;padding:8px 14px;margin:12px 0;font-weight:bold}
        .warning p{margin:4px 0}.h{fill:transparent}</style></head><body>
        <h1>\(escape(s.scenario)) <small>(\(escape(s.mode)), seed \(s.seed), trace \(escape(s.traceHash)))</small></h1>
        <p>\(humanDuration(microseconds: s.virtualDurationSeconds * 1_000_000)) of \(s.mode == "sim" ? "virtual" : "real") time.</p>
        """
        html += warningBox(s)
        html += configuration(s)
        html += summaryTable(s)
        html += taskTable(s)
        html += pipelineSection(s)
        html += periodicSection(s)
        if !assertions.isEmpty {
            html += "<h2>Assertions</h2><table>"
            for line in assertions {
                html += "<tr><td>\(escape(line.text))</td><td class=\"\(line.holds ? "pass" : "fail")\">\(line.holds ? "pass" : "FAIL")</td><td>\(escape(line.actual))</td></tr>"
            }
            html += "</table>"
        }
        html += charts(s, assertions: assertions)
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
        if s.censoredWaits > 0 { rows.append(("never started (waits censored at the end of the run)", "\(s.censoredWaits)")) }
        rows.append(("leftover", s.leftover.total == 0 ? "none" : "\(s.leftover.total): queued \(s.leftover.queued), held \(s.leftover.held), unacked \(s.leftover.unacked), running \(s.leftover.running)"))
        var html = "<h2>Summary</h2><table>"
        for (name, value) in rows { html += "<tr><td>\(escape(name))</td><td>\(escape(value))</td></tr>" }
        html += "</table><h2>Percentiles</h2><table><tr><th></th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>"
        for (name, p) in [("queue wait", s.queueWait), ("run time", s.runTime), ("latency (end to end)", s.latency)] {
            html += "<tr><td>\(name)</td>" + [p.p50, p.p90, p.p99, p.max].map { "<td>\(humanDuration(microseconds: Double($0)))</td>" }.joined() + "</tr>"
        }
        return html + "</table>"
    }

    /// A stranded run says so first: work left at the end, and waits censored because of it.
    static func warningBox(_ s: RunSummary) -> String {
        let left = s.leftover
        guard left.total > 0 || s.censoredWaits > 0 else { return "" }
        var html = "<div class=\"warning\">"
        if left.total > 0 {
            html += "<p>WARNING: \(left.total) tasks left at the end of the run: queued \(left.queued), held for eta \(left.held), unacked \(left.unacked), running \(left.running).</p>"
        }
        if s.censoredWaits > 0 {
            html += "<p>\(s.censoredWaits) tasks never started, counted as waiting until the end of the run (censored): the queue-wait and latency percentiles include them at that value.</p>"
        }
        return html + "</div>"
    }

    /// The fleet as configured and the settings changed from the scenario file.
    static func configuration(_ s: RunSummary) -> String {
        var html = ""
        if !s.appliedSettings.isEmpty {
            html += "<h2>Settings applied</h2><ul>" + s.appliedSettings.map { "<li><code>\(escape($0))</code></li>" }.joined() + "</ul>"
        }
        guard !s.fleet.isEmpty else { return html }
        html += "<h2>Fleet</h2><table><tr><th>group</th><th>workers</th><th>concurrency</th><th>autoscale (max,min)</th>"
            + "<th>prefetch multiplier</th><th>queues</th><th>max tasks per child</th><th>max memory per child</th>"
            + "<th>memory limit</th><th>fleet scaler</th></tr>"
        for g in s.fleet {
            let cells = [g.group, "\(g.workers)", g.autoscale == nil ? "\(g.concurrency)" : "up to \(g.concurrency)",
                         g.autoscale ?? "off", "\(g.prefetchMultiplier)", g.queues.joined(separator: ", "),
                         g.maxTasksPerChild.map(String.init) ?? "none",
                         g.maxMemoryPerChildKiB.map { humanBytes(Int64($0) * 1024) } ?? "none",
                         g.memoryLimitBytes.map(humanBytes) ?? "none", g.scaler ?? "none"]
            html += "<tr>" + cells.map { "<td>\(escape($0))</td>" }.joined() + "</tr>"
        }
        return html + "</table>"
    }

    /// One row per task type: counts, then queue wait and run time p50/p99.
    static func taskTable(_ s: RunSummary) -> String {
        guard !s.byTask.isEmpty else { return "" }
        var html = "<h2>By task type</h2><table><tr><th>task</th><th>published</th><th>succeeded</th><th>failed</th>"
            + "<th>retried</th><th>never started</th><th>queue wait p50</th><th>queue wait p99</th><th>run time p50</th><th>run time p99</th></tr>"
        for t in s.byTask {
            let cells = [t.task, "\(t.published)", "\(t.succeeded)", "\(t.failed)", "\(t.retried)", "\(t.censoredWaits)"]
                + [t.queueWait.p50, t.queueWait.p99, t.runTime.p50, t.runTime.p99].map { humanDuration(microseconds: Double($0)) }
            html += "<tr>" + cells.map { "<td>\(escape($0))</td>" }.joined() + "</tr>"
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

    static func charts(_ s: RunSummary, assertions: [AssertionLine] = []) -> String {
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
        /// The thresholds of the assertions on these metrics (drawn on the chart that shows them).
        func thresholds(_ metrics: (String) -> Bool) -> [SVGChart.Threshold] {
            assertions.compactMap { line in
                guard let metric = line.metric, let value = line.threshold, metrics(metric) else { return nil }
                return SVGChart.Threshold(label: line.text, value: value, holds: line.holds)
            }
        }
        func chart(_ title: String, _ series: [(String, String, [Double])], format: @escaping (Double) -> String,
                   thresholds: [SVGChart.Threshold] = [], microseconds: Bool = false, bytes: Bool = false) -> String {
            var chart = SVGChart(title: title, times: times, series: series.map { SVGChart.Series(name: $0.0, color: $0.1, values: $0.2) },
                                 thresholds: thresholds, format: format)
            chart.microsecondValues = microseconds
            chart.byteValues = bytes
            return chart.render()
        }
        let count: (Double) -> String = { String(format: "%.0f", $0) }
        let perSecond: (Double) -> String = { String(format: $0 < 10 && $0 != $0.rounded() ? "%.1f/s" : "%.0f/s", $0) }
        var html = "<h2>Over time</h2>"
        html += chart("Throughput (tasks finished per second)", [("finished/s", "#1f77b4", rate { $0.succeeded + $0.failed })],
                      format: perSecond, thresholds: thresholds { $0 == "throughput" })
        html += chart("Queue depth (messages in broker lists)", queueSeries(s), format: count,
                      thresholds: thresholds { $0 == "peak_queue_depth" })
        html += chart("Held for eta and unacknowledged (messages)",
                      [("held for eta", "#bcbd22", t.map { Double($0.held) }), ("in unacked", "#7f7f7f", t.map { Double($0.unacked) })],
                      format: count)
        html += chart("Queue wait of tasks started in each interval (the scenario's queue-wait thresholds drawn across)",
                      [("p50", "#2ca02c", t.map { Double($0.queueWaitP50) }), ("p99", "#ff7f0e", t.map { Double($0.queueWaitP99) })],
                      format: { humanDuration(microseconds: $0) }, thresholds: thresholds { $0.hasPrefix("queue_wait.") },
                      microseconds: true)
        html += chart("Workers: pool size and running tasks (processes)",
                      [("pool size", "#9467bd", t.map { Double($0.poolSize) }), ("running", "#8c564b", t.map { Double($0.running) })],
                      format: count, thresholds: thresholds { $0 == "peak_running" })
        if t.contains(where: { $0.fleet != nil }) {
            html += chart("Fleet scaler: desired and running workers",
                          [("desired", "#d62728", t.map { Double($0.fleet?.desiredWorkers ?? 0) }),
                           ("running", "#1f77b4", t.map { Double($0.workers) })],
                          format: count, thresholds: thresholds { $0 == "peak_workers" || $0 == "mean_workers" })
            html += chart("Backlog: what KEDA reads (LLEN of one list) and what Celery holds (all lists + unacked)",
                          [("KEDA's LLEN", "#ff7f0e", t.map { Double($0.fleet?.kedaListLength ?? 0) }),
                           ("Celery's backlog", "#2ca02c", t.map { Double($0.fleet?.celeryBacklog ?? 0) })],
                          format: count)
        }
        html += chart(s.mode == "sim" ? "Memory (modelled, all workers)" : "Memory (jemalloc resident, workers and children)",
                      [("memory", "#17becf", t.map { Double($0.memoryBytes) })], format: { humanBytes(Int64($0)) },
                      thresholds: thresholds { $0 == "peak_memory" }, bytes: true)
        if t.contains(where: { $0.recycled > 0 }) {
            html += chart("Children recycled per second (max_tasks_per_child, max_memory_per_child)",
                          [("recycles/s", "#8c564b", rate { $0.recycled })], format: perSecond)
        }
        html += chart("Retries per second", [("retries/s", "#e377c2", rate { $0.retried })], format: perSecond)
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
