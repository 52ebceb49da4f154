import ArgumentParser
import Foundation
import Reports
import Scenarios

/// `lovage compare BASELINE NEW`: a regression gate between two summary.json files.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two summary.json files figure by figure; exit 1 on a regression.",
        discussion: """
        With --tolerance 0 (the default, for simulated runs, which are exact for a seed and build) any \
        changed figure or trace hash fails. With a tolerance in percent (real runs), a figure fails only \
        when it got worse by more than that; improvements are listed.
        """)

    @Argument(help: "The baseline summary.json.")
    var baseline: String

    @Argument(help: "The new summary.json.")
    var new: String

    @Option(help: "Allowed change in percent before a worse figure fails (0 = exact).")
    var tolerance: Double = 0

    func run() throws {
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tolerance must be >= 0 percent") }
        let old = try read(baseline)
        let current = try read(new)
        if old.scenario != current.scenario || old.seed != current.seed {
            printError("warning: comparing \(old.scenario) seed \(old.seed) with \(current.scenario) seed \(current.seed)")
        }
        let comparison = SummaryComparison(baseline: old, new: current, tolerancePercent: tolerance)
        // Wide enough for a task type's figure (`by_task[NAME].queue_wait.p99`): padding truncates.
        let width = max(22, (comparison.rows.filter { $0.verdict != .same }.map(\.figure.count).max() ?? 0) + 2)
        print("figure".padding(toLength: width, withPad: " ", startingAt: 0) + "baseline".leftPadded(16) + "new".leftPadded(16)
              + "change".leftPadded(10) + "  verdict")
        for row in comparison.rows where row.verdict != .same {
            let change = row.changePercent.map { String(format: "%+.1f%%", $0) } ?? "new"
            print(row.figure.padding(toLength: width, withPad: " ", startingAt: 0)
                  + SummaryText.format(metricValue: row.baseline, metric: row.figure).leftPadded(16)
                  + SummaryText.format(metricValue: row.new, metric: row.figure).leftPadded(16)
                  + change.leftPadded(10) + "  " + row.verdict.rawValue)
        }
        let unchanged = comparison.rows.filter { $0.verdict == .same }.count
        print("\(unchanged) of \(comparison.rows.count) figures unchanged; trace \(comparison.traceHashes.baseline) → \(comparison.traceHashes.new)")
        if comparison.fails(tolerancePercent: tolerance) {
            let names = comparison.regressions.map(\.figure)
            printError("regression: " + (names.isEmpty ? "the trace hash changed" : names.joined(separator: ", ")))
            throw ExitCode(1)
        }
    }

    private func read(_ path: String) throws -> RunSummary {
        do { return try SummaryFiles.read(path: path) } catch {
            throw ValidationError("cannot read \(path): \(error)")
        }
    }
}
