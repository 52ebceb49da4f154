import ArgumentParser
import Foundation
import Reports
import Scenarios
import Simulation
import WorkerCore

/// `lovage fidelity FILE`: the scenario simulated and run for real with the same seed and time
/// scale, and a table of how far the simulation's figures are from the real ones.
struct FidelityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fidelity",
        abstract: "Run a scenario simulated and on real Redis, and compare the figures.",
        discussion: """
        Writes both runs' summary.json, report.html and timeline.csv under --out/sim and --out/redis \
        (open the two reports side by side) and fidelity.json, and prints for each figure the \
        simulated value, the real value, their difference relative to the real one and whether it is \
        within --tolerance. Exits 1 when a gated figure (--gate; default throughput and queue_wait.p50) \
        is outside, 2 when the scenario cannot run.
        """)

    @Argument(help: "Scenario file (YAML).")
    var file: String

    @Option(help: "Root seed; overrides the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Multiply every duration by this and divide every rate by it, in both runs.")
    var timeScale: Double = 1

    @Option(help: "Allowed difference in percent of the real value.")
    var tolerance: Double = 10

    @Option(help: "Time figures whose difference is at most this many microseconds pass whatever the percentage.")
    var timeFloorMicros: Double = 0

    @Option(help: "Comma-separated figures that decide the exit status.")
    var gate: String = FidelityComparison.defaultGated.joined(separator: ",")

    @Option(help: "lovage or celery: whose workers the real run uses.")
    var target: String = "lovage"

    @Option(help: "--target celery: the Python with celery[redis] installed.")
    var python: String = ".venv/bin/python"

    @Option(name: [.customShort("b"), .long], help: "Use this Redis server for the real run instead of starting one.")
    var broker: String?

    @Flag(help: "Real run without task events (-E): less work per task; duplicates are then not compared.")
    var noTaskEvents = false

    @Option(help: "Output folder (default: results/runs/<scenario>-fidelity-seed<N>).")
    var out: String?

    @Flag(help: "Print the comparison as JSON.")
    var json = false

    func validate() throws {
        guard tolerance >= 0, timeFloorMicros >= 0 else { throw ValidationError("--tolerance and --time-floor-micros must be >= 0") }
        let unknown = gatedFigures.filter { !FidelityComparison.figures.contains($0) }
        guard unknown.isEmpty else {
            throw ValidationError("--gate: unknown figure(s) \(unknown.joined(separator: ", ")); known: \(FidelityComparison.figures.joined(separator: ", "))")
        }
    }

    var gatedFigures: [String] { gate.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() throws {
        let scenario: Scenario
        do { scenario = try ScenarioLoader.load(path: file) } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let directory = out ?? "results/runs/\(scenario.name)-fidelity-seed\(seed ?? scenario.seed)"
        var realArguments = [file, "--mode", "redis", "--time-scale", String(timeScale), "--quiet", "--target", target,
                             "--python", python, "--out", directory + "/redis"]
        if let seed { realArguments += ["--seed", String(seed)] }
        if let broker { realArguments += ["--broker", broker] }
        if noTaskEvents { realArguments.append("--no-task-events") }
        let real = try RunCommand.parse(realArguments)

        let simulated = try SimulationRun(file: file, seed: seed, out: directory + "/sim", noTrace: true, baseline: nil,
                                          quiet: true, json: false, timeScale: timeScale, recordTaskWaits: true).simulate()
        try RunOutputs(file: file, directory: simulated.1, baseline: nil, quiet: true, json: false)
            .finishQuietly(simulated.0)
        printError("simulated: \(simulated.1); now the real run (\(target)), about \(Int(((scenario.duration + scenario.drain).seconds * timeScale).rounded())) s")
        let measured = try real.runReal()
        try RunOutputs(file: file, directory: measured.1, baseline: nil, quiet: true, json: false).finishQuietly(measured.0)

        let comparison = FidelityComparison(simulated: simulated.0.summary, real: measured.0.summary,
                                            tolerancePercent: tolerance, gated: gatedFigures, absoluteFloorMicros: timeFloorMicros,
                                            waitsByPlanIndex: (simulated.0.queueWaitByPlanIndexMicros, measured.0.queueWaitByPlanIndexMicros))
        let report = FidelityReport(scenario: scenario.name, seed: simulated.0.summary.seed, timeScale: timeScale, target: target,
                                    tolerancePercent: tolerance, rows: comparison.rows, matchedTasks: comparison.matchedTasks)
        let encoded = try SummaryFiles.encoder().encode(report)
        try encoded.write(to: URL(fileURLWithPath: directory + "/fidelity.json"))
        if json {
            print(String(decoding: encoded, as: UTF8.self))
        } else {
            print(Self.table(comparison, scenario: scenario.name, seed: report.seed, timeScale: timeScale, target: target,
                             realMemoryMeasured: target == "lovage", realDuplicatesCounted: measured.0.summary.taskEvents != nil))
            print("")
            print("reports   \(directory)/sim/report.html\n          \(directory)/redis/report.html\n          \(directory)/fidelity.json")
        }
        if !comparison.failures.isEmpty { throw ExitCode(1) }
    }

    /// - Parameters:
    ///   - realMemoryMeasured: false for Celery workers, which publish no jemalloc stats.
    ///   - realDuplicatesCounted: whether the real run counted executions from task events.
    static func table(_ comparison: FidelityComparison, scenario: String, seed: UInt64, timeScale: Double, target: String,
                      realMemoryMeasured: Bool, realDuplicatesCounted: Bool = true) -> String {
        var lines = ["fidelity  \(scenario)  seed \(seed)  time scale \(timeScale)  real: \(target) workers  tolerance ±\(comparison.tolerancePercent)%", ""]
        lines.append("figure".padding(toLength: 16, withPad: " ", startingAt: 0) + "simulated".leftPadded(14) + "real".leftPadded(14)
                     + "difference".leftPadded(12) + "  verdict")
        for row in comparison.rows {
            if row.figure == "peak_memory", !realMemoryMeasured {
                lines.append(row.figure.padding(toLength: 16, withPad: " ", startingAt: 0)
                             + SummaryText.format(metricValue: row.simulated, metric: row.figure).leftPadded(14)
                             + "not measured".leftPadded(14) + "".leftPadded(12) + "  (Celery workers publish no jemalloc stats)")
                continue
            }
            // matched_wait.p50 is a queue wait, over fewer tasks.
            let unit = row.figure == FidelityComparison.matchedWaitFigure ? "queue_wait.p50" : row.figure
            let sim = SummaryText.format(metricValue: row.simulated, metric: unit)
            let uncounted = row.figure == "duplicates" && !realDuplicatesCounted
            let real = uncounted ? "not counted" : SummaryText.format(metricValue: row.real, metric: unit)
            let difference = uncounted ? "" : row.differencePercent.map { String(format: "%+.1f%%", $0) } ?? "n/a"
            let verdict = uncounted ? "(no task events)"
                : (row.withinTolerance ? "within" : "OUTSIDE") + (row.gated ? " (gated)" : "")
            lines.append(row.figure.padding(toLength: 16, withPad: " ", startingAt: 0) + sim.leftPadded(14) + real.leftPadded(14)
                         + difference.leftPadded(12) + "  " + verdict)
        }
        if let matched = comparison.matchedTasks {
            lines.append("")
            lines.append("matched_wait.p50: queue wait over the \(matched) tasks that ended in both runs (by their place in the load)")
        }
        let failures = comparison.failures.map(\.figure)
        lines.append("")
        lines.append(failures.isEmpty ? "verdict   every gated figure within ±\(comparison.tolerancePercent)%"
                                      : "verdict   outside ±\(comparison.tolerancePercent)%: \(failures.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }
}

/// fidelity.json: the comparison, for scripts and CI.
struct FidelityReport: Codable {
    var scenario: String
    var seed: UInt64
    var timeScale: Double
    var target: String
    var tolerancePercent: Double
    var rows: [FidelityComparison.Row]
    /// How many tasks ended in both runs (what `matched_wait.p50` covers).
    var matchedTasks: Int?
}
