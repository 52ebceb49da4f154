import Foundation
import Reports
import Scenarios

/// The plan's tables for the terminal: one line per configuration with the medians over its
/// seeds and each SLO's "holds in k of N", then one line per configuration and SLO with the
/// spread over seeds and the margins to the threshold.
enum PlanText {
    static func render(_ plan: CapacityPlan, scenario: String, file: String, wallSeconds: Double, parallelism: String) -> String {
        let rule = plan.rule
        let seeds = plan.rows.first?.seeds ?? []
        let runs = plan.rows.map(\.summaries.count).reduce(0, +)
        let stopped = plan.rows.filter(\.stoppedEarly).count
        var lines = [String(format: "plan      %@  (%@): %d configurations × %d seeds (%@), %d runs simulated in %.1f s (%@)",
                            scenario, file, plan.rows.count, seeds.count, seedsText(seeds), runs, wallSeconds, parallelism),
                     "rule      a configuration meets the SLOs when every SLO holds at once in at least \(rule.requiredPasses) of its \(rule.seeds) seeds "
                        + String(format: "(confidence %g%%)", rule.confidence * 100)
                        + (stopped > 0 ? "; \(stopped) of \(plan.rows.count) configurations stopped early, once more than \(rule.allowedFailures) of their seeds had missed an SLO" : ""),
                     ""]
        let objectives = plan.rows.first?.slo.map(\.assertion) ?? []
        let showErlang = plan.rows.contains { $0.erlang != nil }
        let settingsWidth = max(24, (plan.rows.map { $0.settingsText.count }.max() ?? 0) + 2)
        var header = "configuration".padding(toLength: settingsWidth, withPad: " ", startingAt: 0) + "slots".leftPadded(6) + "util".leftPadded(6)
            + "throughput".leftPadded(12) + "wait p50".leftPadded(11) + "wait p99".leftPadded(11)
        if showErlang { header += "M/M/c p50".leftPadded(11) + "M/M/c p99".leftPadded(11) }
        header += "memory".leftPadded(11) + "leftover".leftPadded(10)
        let sloWidths = objectives.map { max($0.text.count, 9) + 2 }
        for (assertion, width) in zip(objectives, sloWidths) { header += assertion.text.leftPadded(width) }
        header += "all SLOs".leftPadded(12) + "  verdict"
        lines.append(header)
        let best = plan.cheapest
        for (index, row) in plan.rows.enumerated() {
            var line = row.settingsText.padding(toLength: settingsWidth, withPad: " ", startingAt: 0)
            line += row.slotsText.leftPadded(6) + String(format: "%.0f%%", row.utilisation * 100).leftPadded(6)
            line += String(format: "%.1f/s", row.median(\.throughput)).leftPadded(12)
            line += humanDuration(microseconds: row.median { Double($0.queueWait.p50) }).leftPadded(11)
            line += humanDuration(microseconds: row.median { Double($0.queueWait.p99) }).leftPadded(11)
            if showErlang {
                line += predicted(row, quantile: 0.5).leftPadded(11) + predicted(row, quantile: 0.99).leftPadded(11)
            }
            line += humanBytes(Int64(row.median { Double($0.peakMemoryBytes) })).leftPadded(11)
            line += SummaryText.format(metricValue: row.median { Double($0.leftover.total) }, metric: "leftover").leftPadded(10)
            for (outcome, width) in zip(row.slo, sloWidths) { line += holdsText(outcome, row: row).leftPadded(width) }
            line += countText(row.allSLOPasses, row: row).leftPadded(12)
            let missedAlone = missed(row, rule: rule).map(\.assertion.text)
            line += "  " + (row.meetsSLO ? "meets" : "misses " + (missedAlone.isEmpty ? "the SLOs together" : missedAlone.joined(separator: ", ")))
            if row.stoppedEarly { line += " (stopped early after \(row.summaries.count) of \(row.seeds.count) seeds)" }
            if index == best { line += "   <- cheapest" }
            lines.append(line)
        }
        lines.append("")
        lines.append("figures are medians over each configuration's seeds run; k/N: the SLO held in k of the N seeds; all SLOs: seeds on which every SLO held")
        lines.append("")
        lines += spreadTable(plan, settingsWidth: settingsWidth)
        lines.append("")
        if let best {
            let row = plan.rows[best]
            lines.append("cheapest  \(row.settingsText): \(row.slotsText) slots, "
                         + String(format: "utilisation %.0f%%, ", row.utilisation * 100)
                         + "queue wait p50 \(humanDuration(microseconds: row.median { Double($0.queueWait.p50) })), "
                         + "p99 \(humanDuration(microseconds: row.median { Double($0.queueWait.p99) })), "
                         + "peak memory \(humanBytes(Int64(row.median { Double($0.peakMemoryBytes) }))) (medians over \(row.summaries.count) seeds)")
            for outcome in row.slo {
                var text = "          \(outcome.assertion.text): holds in \(outcome.spread.passes) of \(row.summaries.count)"
                if let value = outcome.spread.confidenceValue {
                    text += String(format: ", at %g%% ", rule.confidence * 100) + SummaryText.format(metricValue: value, metric: outcome.assertion.metric)
                }
                if let margin = outcome.confidenceMargin { text += " (margin \(marginText(margin, outcome.assertion)))" }
                lines.append(text)
            }
        } else {
            lines.append("cheapest  none: no configuration meets " + objectives.map(\.text).joined(separator: " and ")
                         + " in \(rule.requiredPasses) of \(rule.seeds) seeds")
        }
        if showErlang {
            lines.append("M/M/c     Erlang C for Poisson arrivals, exponential bodies and c = slots, plus the scenario's hand-off (2 × broker latency + child_handoff + median idle wake-up)")
        }
        return lines.joined(separator: "\n")
    }

    /// One line per configuration and SLO: k of N, median, p10–p90, min–max, the value the
    /// confidence rule judges, and the margins of the median and of that value.
    static func spreadTable(_ plan: CapacityPlan, settingsWidth: Int) -> [String] {
        let objectives = plan.rows.first?.slo.map(\.assertion) ?? []
        let sloWidth = max(5, (objectives.map(\.text.count).max() ?? 0) + 2)
        let atLabel = String(format: "at %g%%", plan.rule.confidence * 100)
        var lines = ["configuration".padding(toLength: settingsWidth, withPad: " ", startingAt: 0)
                     + "SLO".padding(toLength: sloWidth, withPad: " ", startingAt: 0)
                     + "holds".leftPadded(12) + "median".leftPadded(10) + "p10–p90".leftPadded(20) + "min–max".leftPadded(20)
                     + atLabel.leftPadded(10) + "  margin (median; \(atLabel))"]
        for row in plan.rows {
            for outcome in row.slo {
                let metric = outcome.assertion.metric
                func show(_ value: Double?) -> String { value.map { SummaryText.format(metricValue: $0, metric: metric) } ?? "-" }
                let spread = outcome.spread
                var line = row.settingsText.padding(toLength: settingsWidth, withPad: " ", startingAt: 0)
                line += outcome.assertion.text.padding(toLength: sloWidth, withPad: " ", startingAt: 0)
                line += holdsText(outcome, row: row).leftPadded(12)
                line += show(spread.median).leftPadded(10)
                line += "\(show(spread.p10))–\(show(spread.p90))".leftPadded(20)
                line += "\(show(spread.min))–\(show(spread.max))".leftPadded(20)
                line += show(spread.confidenceValue).leftPadded(10)
                let margins = [outcome.medianMargin, outcome.confidenceMargin].map { $0.map { marginText($0, outcome.assertion) } ?? "-" }
                line += "  " + margins.joined(separator: "; ")
                lines.append(line)
            }
        }
        return lines
    }

    /// The SLOs a row misses: all that do not hold, or for a row stopped early the ones that
    /// failed on more seeds than the rule allows (the others were not judged on every seed).
    static func missed(_ row: CapacityPlan.Row, rule: ConfidenceRule) -> [CapacityPlan.Outcome] {
        row.slo.filter { !$0.holds && (!row.stoppedEarly || rule.clearlyFails(failures: $0.spread.failures)) }
    }

    /// "9/10", or "0/2 of 10" when the configuration was stopped early.
    static func holdsText(_ outcome: CapacityPlan.Outcome, row: CapacityPlan.Row) -> String {
        countText(outcome.spread.passes, row: row)
    }

    static func countText(_ passes: Int, row: CapacityPlan.Row) -> String {
        row.stoppedEarly ? "\(passes)/\(row.summaries.count) of \(row.seeds.count)" : "\(passes)/\(row.seeds.count)"
    }

    /// A margin with its sign and unit, and as a share of the threshold when that is not zero:
    /// "+18.80s (31%)", "-2.10s (-4%)".
    static func marginText(_ margin: Double, _ assertion: Assertion) -> String {
        var text = (margin < 0 ? "-" : "+") + SummaryText.format(metricValue: abs(margin), metric: assertion.metric)
        if assertion.threshold != 0 { text += String(format: " (%.0f%%)", margin / abs(assertion.threshold) * 100) }
        return text
    }

    static func seedsText(_ seeds: [UInt64]) -> String {
        guard let first = seeds.first, let last = seeds.last else { return "none" }
        if seeds.count == 1 { return "seed \(first)" }
        if last >= first, seeds == Array(first...last) { return "seeds \(first)...\(last)" }
        return "seeds " + seeds.map(String.init).joined(separator: ",")
    }

    static func predicted(_ row: CapacityPlan.Row, quantile: Double) -> String {
        guard let model = row.erlang else { return "-" }
        guard model.isStable else { return "unstable" }
        return humanDuration(microseconds: (model.waitSeconds(quantile: quantile) + row.handOffSeconds) * 1_000_000)
    }
}
