import Foundation
import Reports
import Scenarios

/// Runs one `lovage simulate --set … --json` process per configuration, `jobs` at a time, and
/// returns the summaries in configuration order. Processes rather than threads: each simulation
/// is single-threaded and owns its memory, so two cores run two at full speed with nothing shared.
struct SweepRunner {
    let file: String
    let configurations: [[ScenarioOverride]]
    let jobs: Int
    let showProgress: Bool

    func run() throws -> [RunSummary] {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let progress = SweepProgress(count: configurations.count)
        let started = Date()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = jobs
        for (index, settings) in configurations.enumerated() {
            queue.addOperation {
                let outcome = Result { try simulate(index: index, settings: settings, executable: executable) }
                let done = progress.record(outcome, at: index)
                if showProgress {
                    let elapsed = Date().timeIntervalSince(started)
                    let remaining = elapsed / Double(done) * Double(configurations.count - done)
                    FileHandle.standardError.write(Data(String(format: "\r\u{1B}[Ksimulated %d/%d configurations, %.0f s elapsed, ~%.0f s left",
                                                               done, configurations.count, elapsed, remaining).utf8))
                }
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        return try progress.results.map { try $0!.get() }
    }

    private func simulate(index: Int, settings: [ScenarioOverride], executable: String) throws -> RunSummary {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // Figures only: the plan reads no timeline and no per-configuration files.
        process.arguments = ["simulate", file, "--figures-only"]
            + settings.flatMap { ["--set", $0.description] }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // Exit 1 only means a scenario assertion failed; the plan judges by its SLOs.
        guard process.terminationStatus == 0 || process.terminationStatus == 1 else {
            throw PlanError("configuration \(settings.map(\.description).joined(separator: " ")): lovage simulate exited \(process.terminationStatus): \(errorText)")
        }
        do { return try SummaryFiles.decoder().decode(RunSummary.self, from: data) } catch {
            throw PlanError("configuration \(settings.map(\.description).joined(separator: " ")): unreadable summary: \(error)")
        }
    }
}

/// The sweep's results as they come in from the worker threads.
final class SweepProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<RunSummary, Error>?]
    private var done = 0

    init(count: Int) { stored = Array(repeating: nil, count: count) }

    /// Stores one configuration's outcome; returns how many are done.
    func record(_ outcome: Result<RunSummary, Error>, at index: Int) -> Int {
        lock.withLock {
            stored[index] = outcome
            done += 1
            return done
        }
    }

    var results: [Result<RunSummary, Error>?] { lock.withLock { stored } }
}

struct PlanError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The plan's table for the terminal.
enum PlanText {
    static func render(_ plan: CapacityPlan, scenario: String, file: String, wallSeconds: Double, jobs: Int) -> String {
        var lines = [String(format: "plan      %@  (%@): %d configurations simulated in %.1f s (%d at a time)",
                            scenario, file, plan.rows.count, wallSeconds, jobs), ""]
        let sloNames = plan.rows.first?.slo.map(\.assertion.text) ?? []
        let showErlang = plan.rows.contains { $0.erlang != nil }
        let settingsWidth = max(30, (plan.rows.map { $0.settings.map(\.description).joined(separator: " ").count }.max() ?? 0) + 2)
        var header = "configuration".padding(toLength: settingsWidth, withPad: " ", startingAt: 0) + "slots".leftPadded(6) + "util".leftPadded(6)
            + "throughput".leftPadded(12) + "wait p50".leftPadded(11) + "wait p99".leftPadded(11)
        if showErlang { header += "M/M/c p50".leftPadded(11) + "M/M/c p99".leftPadded(11) }
        header += "memory".leftPadded(11) + "  SLO"
        lines.append(header)
        let best = plan.cheapest
        for (index, row) in plan.rows.enumerated() {
            var line = row.settings.map(\.description).joined(separator: " ").padding(toLength: settingsWidth, withPad: " ", startingAt: 0)
            line += row.slotsText.leftPadded(6) + String(format: "%.0f%%", row.utilisation * 100).leftPadded(6)
            line += String(format: "%.1f/s", row.summary.throughput).leftPadded(12)
            line += humanDuration(microseconds: Double(row.summary.queueWait.p50)).leftPadded(11)
            line += humanDuration(microseconds: Double(row.summary.queueWait.p99)).leftPadded(11)
            if showErlang {
                line += predicted(row, quantile: 0.5).leftPadded(11) + predicted(row, quantile: 0.99).leftPadded(11)
            }
            line += humanBytes(row.summary.peakMemoryBytes).leftPadded(11)
            line += "  " + (row.meetsSLO ? "meets" : "misses " + row.slo.filter { !$0.holds }.map(\.assertion.text).joined(separator: ", "))
            if index == best { line += "   <- cheapest" }
            lines.append(line)
        }
        lines.append("")
        if let best {
            let row = plan.rows[best]
            lines.append("cheapest  \(row.settings.map(\.description).joined(separator: " ")): \(row.slotsText) slots, "
                         + String(format: "utilisation %.0f%%, ", row.utilisation * 100)
                         + "queue wait p50 \(humanDuration(microseconds: Double(row.summary.queueWait.p50))), "
                         + "p99 \(humanDuration(microseconds: Double(row.summary.queueWait.p99))), "
                         + "peak memory \(humanBytes(row.summary.peakMemoryBytes))")
        } else {
            lines.append("cheapest  none: no configuration meets " + sloNames.joined(separator: " and "))
        }
        if showErlang {
            lines.append("M/M/c     Erlang C for Poisson arrivals, exponential bodies and c = slots, plus the scenario's hand-off (2 × broker latency + child_handoff + median idle wake-up)")
        }
        return lines.joined(separator: "\n")
    }

    static func predicted(_ row: CapacityPlan.Row, quantile: Double) -> String {
        guard let model = row.erlang else { return "-" }
        guard model.isStable else { return "unstable" }
        return humanDuration(microseconds: (model.waitSeconds(quantile: quantile) + row.handOffSeconds) * 1_000_000)
    }
}

/// plan.json: every configuration's settings, figures, SLO outcomes and M/M/c prediction.
struct PlanDocument: Codable {
    struct Row: Codable {
        var settings: [String]
        var slots: Double
        var workers: Double
        var utilisation: Double
        var meetsSlo: Bool
        var slo: [SLOOutcome]
        var erlangQueueWaitP50Micros: Double?
        var erlangQueueWaitP99Micros: Double?
        var summary: RunSummary
    }
    struct SLOOutcome: Codable {
        var objective: String
        var value: Double?
        var holds: Bool
    }
    var scenario: String
    var wallSeconds: Double
    var cheapest: Int?
    var rows: [Row]

    init(_ plan: CapacityPlan, scenario: String, wallSeconds: Double) {
        self.scenario = scenario
        self.wallSeconds = wallSeconds
        cheapest = plan.cheapest
        rows = plan.rows.map { row in
            let stable = row.erlang?.isStable == true
            var summary = row.summary
            summary.timeline = []
            return Row(settings: row.settings.map(\.description), slots: row.slots, workers: row.workers, utilisation: row.utilisation,
                       meetsSlo: row.meetsSLO,
                       slo: row.slo.map { SLOOutcome(objective: $0.assertion.text, value: $0.value, holds: $0.holds) },
                       erlangQueueWaitP50Micros: stable ? row.erlang.map { ($0.waitSeconds(quantile: 0.5) + row.handOffSeconds) * 1_000_000 } : nil,
                       erlangQueueWaitP99Micros: stable ? row.erlang.map { ($0.waitSeconds(quantile: 0.99) + row.handOffSeconds) * 1_000_000 } : nil,
                       summary: summary)
        }
    }
}
