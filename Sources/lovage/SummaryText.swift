import Foundation
import Reports
import Scenarios
import Simulation

/// The text summary `lovage simulate` prints at the end of a run.
enum SummaryText {
    static func render(_ result: RunResult, scenarioPath: String, wallSeconds: Double, files: [String]) -> String {
        let s = result.summary
        let c = s.counts
        var lines: [String] = []
        lines.append("scenario  \(s.scenario)  (\(scenarioPath))")
        lines.append("seed      \(s.seed)   trace hash \(s.traceHash)")
        let isReal = s.mode != "sim"
        if isReal {
            lines.append("real      \(humanDuration(microseconds: s.virtualDurationSeconds * 1_000_000)) on real Redis (\(s.mode))"
                + (s.publisher.map { String(format: "; sent at %.0f/s, ", $0.sentPerSecond) + "\($0.sendsBehind) send(s) >10 ms behind schedule, max lag \(humanDuration(microseconds: Double($0.maxLagMicros)))" } ?? ""))
        } else {
            lines.append(String(format: "virtual   %@ simulated in %.2f s wall (%d events)",
                                humanDuration(microseconds: s.virtualDurationSeconds * 1_000_000), wallSeconds,
                                result.eventsProcessed))
        }
        if !s.appliedSettings.isEmpty {
            lines.append("settings  " + s.appliedSettings.joined(separator: "  ") + "  (changed from the scenario file)")
        }
        lines.append("")
        lines.append("tasks     published \(c.published)  succeeded \(c.succeeded)  failed \(c.failed)  retried \(c.retried)  revoked \(c.revoked)")
        lines.append("          duplicated \(c.duplicates)  lost \(c.lost)  restored \(c.restored)  given back \(c.givenBack)  rejected \(c.rejected)  worker-lost \(c.workerLost)  recycled \(c.recycled)")
        if c.acksLostInOutage > 0 { lines.append("          acks lost in broker outages \(c.acksLostInOutage)") }
        let r = s.resultStore
        if !isReal {
            lines.append("results   \(r.written) result keys written; peak \(r.peakKeys) keys, \(humanBytes(r.peakBytes)) (modelled, with result_expires)")
        }
        lines.append("throughput " + (s.throughput >= 10 ? String(format: "%.1f", s.throughput) : String(format: s.throughput >= 1 ? "%.2f" : "%.4f", s.throughput)) + " tasks/s (finished tasks per second until the last one)")
        lines.append("")
        lines += warningLines(s)
        lines.append("                    p50         p90         p99         max")
        for (label, p) in [("queue wait", s.queueWait), ("run time", s.runTime), ("latency (e2e)", s.latency)] {
            lines.append(label.padding(toLength: 14, withPad: " ", startingAt: 0)
                + [p.p50, p.p90, p.p99, p.max].map { humanDuration(microseconds: Double($0)).leftPadded(12) }.joined())
        }
        if s.censoredWaits > 0 {
            lines.append("censored  \(s.censoredWaits) tasks never started, counted as waiting until the end of the run (censored)")
        }
        if !s.byTask.isEmpty {
            lines.append("")
            lines += taskTable(s.byTask)
        }
        lines.append("")
        let pipelineLines = PipelineText.lines(s)
        if !pipelineLines.isEmpty {
            lines += pipelineLines
            lines.append("")
        }
        let periodicLines = PeriodicText.lines(s)
        if !periodicLines.isEmpty {
            lines += periodicLines
            lines.append("")
        }
        if !s.controlLines.isEmpty {
            lines += s.controlLines
            lines.append("")
        }
        lines.append("peaks     queue depth \(s.peakQueueDepth)  workers \(s.peakWorkers)  running \(s.peakRunning)  memory \(humanBytes(s.peakMemoryBytes))")
        lines.append("workers   " + sparkline(s.timeline.map { Double($0.poolSize) }) + "  (pool size, max \(s.timeline.map(\.poolSize).max() ?? 0))")
        lines.append("queued    " + sparkline(s.timeline.map { Double($0.queued) }) + "  (max \(s.timeline.map(\.queued).max() ?? 0))")
        lines.append("memory    " + sparkline(s.timeline.map { Double($0.memoryBytes) }) + "  (max \(humanBytes(s.timeline.map(\.memoryBytes).max() ?? 0)))")
        lines.append("")
        if isReal, let events = s.taskEvents {
            lines.append("duplicates: " + (s.duplicateCauses.isEmpty ? "none" : "\(c.duplicates)")
                         + " (from task events: \(events.started) started, \(events.received) received, \(events.redelivered) received again)")
            for cause in s.duplicateCauses { lines.append("  \(cause.count)× \(cause.cause)  (e.g. \(cause.exampleTaskID))") }
            if !events.complete { lines.append("  incomplete: \(events.note)") }
        } else if isReal {
            lines.append("duplicates: not counted (no fleet ran, so no task events)")
        } else if s.duplicateCauses.isEmpty {
            lines.append("duplicates: none")
        } else {
            lines.append("duplicates by cause:")
            for cause in s.duplicateCauses { lines.append("  \(cause.count)× \(cause.cause)  (e.g. \(cause.exampleTaskID))") }
        }
        if isReal {
            lines.append("invariants: not checked (a real run has no trace; tasks without a final result are listed as leftover)")
        } else if s.invariantViolations.isEmpty {
            lines.append("invariants: all held (no task lost, no start before eta or after expiry, attempts within max_retries + 1, autoscaler in bounds)")
        } else {
            lines.append("invariants: \(s.invariantViolations.count) violation(s)")
            for v in s.invariantViolations.prefix(10) {
                lines.append(String(format: "  %@: %@ at %.3fs: %@", v.invariant, v.subject, v.atSeconds, v.detail))
            }
        }
        if s.leftover.total == 0 {
            lines.append("leftover:  nothing queued, held or unacknowledged")
            // A run stopped early says so even when everything it sent had finished.
            for line in result.leftoverLines.prefix(10) { lines.append("  " + line) }
        } else {
            lines.append("leftover:  \(s.leftover.total) tasks: queued \(s.leftover.queued)  held for eta \(s.leftover.held)  unacked \(s.leftover.unacked)  running \(s.leftover.running)")
            for line in result.leftoverLines.prefix(10) { lines.append("  " + line) }
        }
        if !result.assertionOutcomes.isEmpty {
            lines.append("assertions:")
            for outcome in result.assertionOutcomes {
                let value = outcome.value.map { format(metricValue: $0, metric: outcome.assertion.metric) } ?? "unknown"
                lines.append("  \(outcome.holds ? "pass" : "FAIL")  \(outcome.assertion.text)  (actual \(value))")
            }
        }
        lines.append("")
        lines.append("written   " + files.joined(separator: "\n          "))
        return lines.joined(separator: "\n")
    }

    /// A stranded run stands out before its percentiles: work left at the end, and the waits that
    /// were censored because of it.
    static func warningLines(_ s: RunSummary) -> [String] {
        let left = s.leftover
        let stuck = PipelineText.stuckWarning(s)
        guard left.total > 0 || s.censoredWaits > 0 || stuck != nil else { return [] }
        var parts: [String] = stuck.map { [$0] } ?? []
        if left.total > 0 {
            parts.append("\(left.total) tasks left at the end of the run (queued \(left.queued), held for eta \(left.held), unacked \(left.unacked), running \(left.running))")
        }
        if s.censoredWaits > 0 {
            parts.append("\(s.censoredWaits) never started: their waits count as lasting until the end of the run")
        }
        return ["WARNING   " + parts.joined(separator: "; "), ""]
    }

    /// One row per task type: counts, then queue wait and run time p50/p99 with units.
    static func taskTable(_ rows: [RunSummary.TaskFigures]) -> [String] {
        let width = max(12, (rows.map(\.task.count).max() ?? 0) + 2)
        let columns = ["published", "succeeded", "failed", "retried", "unstarted", "wait p50", "wait p99", "run p50", "run p99"]
        var lines = ["by task".padding(toLength: width, withPad: " ", startingAt: 0) + columns.map { $0.leftPadded(11) }.joined()]
        for row in rows {
            let counts = [row.published, row.succeeded, row.failed, row.retried, row.censoredWaits].map { String($0).leftPadded(11) }
            let times = [row.queueWait.p50, row.queueWait.p99, row.runTime.p50, row.runTime.p99]
                .map { humanDuration(microseconds: Double($0)).leftPadded(11) }
            lines.append("  " + row.task.padding(toLength: width - 2, withPad: " ", startingAt: 0) + (counts + times).joined())
        }
        return lines
    }

    /// A metric's value in its own unit: times as durations, sizes in bytes units, counts plainly.
    static func format(metricValue value: Double, metric: String) -> String {
        // A task type's figure (`by_task[NAME].queue_wait.p99`) reads in the unit of its suffix.
        if metric.hasPrefix("by_task["), let close = metric.range(of: "]."), close.upperBound < metric.endIndex {
            return format(metricValue: value, metric: String(metric[close.upperBound...]))
        }
        switch Metrics.kind(of: metric) {
        case .time: return humanDuration(microseconds: value)
        case .size: return humanBytes(Int64(value))
        case .rate: return String(format: "%.2f/s", value)
        case .count, nil:
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
