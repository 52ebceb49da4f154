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
        when it got worse by more than that; improvements are listed. Exits 0 when nothing regressed, 1 on a \
        regression, 2 when a file cannot be read.
        """)

    @Argument(help: "The baseline summary.json.")
    var baseline: String

    @Argument(help: "The new summary.json.")
    var new: String

    @Option(help: "Allowed change in percent before a worse figure fails (0 = exact).")
    var tolerance: Double = 0

    @Flag(help: "Print the comparison as JSON (every figure, changed or not) instead of the table.")
    var json = false

    /// The comparison as `--json` prints it.
    struct Report: Encodable {
        struct Row: Encodable {
            var figure: String
            var baseline: Double
            var new: Double
            /// Relative change in percent; nil when the baseline is 0 and the new value is not.
            var changePercent: Double?
            /// same, improved, changed (tolerance 0) or regressed.
            var verdict: String
        }
        struct TraceHashes: Encodable {
            var baseline: String
            var new: String
        }
        var baseline: String
        var new: String
        var tolerancePercent: Double
        var rows: [Row]
        var unchanged: Int
        var traceHash: TraceHashes
        var regressions: [String]
        var fails: Bool
    }

    func run() throws {
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tolerance must be >= 0 percent") }
        let old = try read(baseline)
        let current = try read(new)
        if old.scenario != current.scenario || old.seed != current.seed {
            printError("warning: comparing \(old.scenario) seed \(old.seed) with \(current.scenario) seed \(current.seed)")
        }
        let comparison = SummaryComparison(baseline: old, new: current, tolerancePercent: tolerance)
        let fails = comparison.fails(tolerancePercent: tolerance)
        if json {
            try printJSON(Report(
                baseline: baseline, new: new, tolerancePercent: tolerance,
                rows: comparison.rows.map { Report.Row(figure: $0.figure, baseline: $0.baseline, new: $0.new,
                                                      changePercent: $0.changePercent, verdict: $0.verdict.rawValue) },
                unchanged: comparison.rows.filter { $0.verdict == .same }.count,
                traceHash: Report.TraceHashes(baseline: comparison.traceHashes.baseline, new: comparison.traceHashes.new),
                regressions: comparison.regressions.map(\.figure), fails: fails))
            if fails { throw ExitCode(ExitStatus.checkFailed) }
            return
        }
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
        if fails {
            let names = comparison.regressions.map(\.figure)
            printError("regression: " + (names.isEmpty ? "the trace hash changed" : names.joined(separator: ", ")))
            throw ExitCode(ExitStatus.checkFailed)
        }
    }

    /// Reads a summary; the error names the file and says whether it is missing or not a summary.
    private func read(_ path: String) throws -> RunSummary {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ValidationError("cannot read \(path): " + (FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"))
        }
        do { return try SummaryFiles.read(path: path) } catch let error as DecodingError {
            throw ValidationError("\(path) is not a summary.json (lovage simulate or run writes one): \(Self.describe(error))")
        } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// A decoding error as one line: what was wrong and at which key.
    static func describe(_ error: DecodingError) -> String {
        func place(_ path: [CodingKey]) -> String {
            path.isEmpty ? "the document" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key \"\(key.stringValue)\" in \(place(context.codingPath))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(place(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "\(place(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
