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
        Runs the real side --repeat times (default 3) with the same seed, and writes each run's \
        summary.json, report.html and timeline.csv under --out/sim and --out/redis (one real run) or \
        --out/redis-1, --out/redis-2, ... (several), and fidelity.json. Prints for each figure the \
        simulated value, each real run's value, their median and range, the difference from the median \
        and the verdict: the simulated value is within when it lies inside the real runs' range \
        widened by --tolerance on each side (with one real run: within ±tolerance of it). Exits 1 when \
        a gated figure (--gate; default throughput and queue_wait.p50) is outside, 2 when the \
        scenario cannot run.
        """)

    @Argument(help: "Scenario file (YAML).")
    var file: String

    @Option(help: "Root seed; overrides the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Multiply every duration by this and divide every rate by it, in both runs.")
    var timeScale: Double = 1

    @Option(help: "Allowed difference in percent of the real value: the real runs' range is widened by this much on each side.")
    var tolerance: Double = 10

    @Option(help: "How many times to run the real side (same seed); the simulation is judged against the real runs' range.")
    var `repeat`: Int = 3

    @Option(name: .customLong("set"), help: "Change a setting in both runs, as `lovage simulate --set` does (repeatable, applied in order).")
    var settings: [String] = []

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

    @Option(help: "Output folder (default: results/runs/<scenario>-fidelity-seed<N>, followed by the --set settings).")
    var out: String?

    @Flag(help: "Print the comparison as JSON.")
    var json = false

    func validate() throws {
        guard tolerance >= 0, timeFloorMicros >= 0 else { throw ValidationError("--tolerance and --time-floor-micros must be >= 0") }
        guard (1...100).contains(`repeat`) else { throw ValidationError("--repeat must be a whole number from 1 to 100, got \(`repeat`)") }
        try SimulateCommand.validateSettings(settings, seed: seed)
        let unknown = gatedFigures.filter { !FidelityComparison.figures.contains($0) }
        guard unknown.isEmpty else {
            throw ValidationError("--gate: unknown figure(s) \(unknown.joined(separator: ", ")); known: \(FidelityComparison.figures.joined(separator: ", "))")
        }
    }

    var gatedFigures: [String] { gate.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() throws {
        let overrides = (try? ScenarioOverride.parseAll(settings)) ?? []
        let scenario: Scenario
        do { scenario = try ScenarioLoader.load(path: file).overriding(overrides) } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let directory = out ?? ScenarioOverride.defaultFolder(scenario: scenario.name, kind: "fidelity-", seed: seed ?? scenario.seed,
                                                              overrides: overrides)
        let realDirectories = `repeat` == 1 ? [directory + "/redis"] : (1...`repeat`).map { "\(directory)/redis-\($0)" }

        let simulated = try SimulationRun(file: file, seed: seed, out: directory + "/sim", writesTrace: false, baseline: nil,
                                          quiet: true, json: false, timeScale: timeScale, overrides: overrides,
                                          recordTaskWaits: true).simulate()
        try RunOutputs(file: file, directory: simulated.1, baseline: nil, quiet: true, json: false)
            .finishQuietly(simulated.0)
        let seconds = Int(((scenario.duration + scenario.drain).seconds * timeScale).rounded())
        var measured: [RunResult] = []
        for (index, realDirectory) in realDirectories.enumerated() {
            printError(index == 0 ? "simulated: \(simulated.1); now the real run\(`repeat` > 1 ? " 1 of \(`repeat`)" : "") (\(target)), about \(seconds) s"
                                  : "real run \(index + 1) of \(`repeat`), about \(seconds) s")
            var realArguments = [file, "--mode", "redis", "--time-scale", String(timeScale), "--quiet", "--target", target,
                                 "--python", python, "--out", realDirectory]
            if let seed { realArguments += ["--seed", String(seed)] }
            if let broker { realArguments += ["--broker", broker] }
            if noTaskEvents { realArguments.append("--no-task-events") }
            for setting in settings { realArguments += ["--set", setting] }
            let run = try RunCommand.parse(realArguments).runReal()
            try RunOutputs(file: file, directory: run.1, baseline: nil, quiet: true, json: false).finishQuietly(run.0)
            measured.append(run.0)
        }

        let comparison = FidelityComparison(simulated: simulated.0.summary, realRuns: measured.map(\.summary),
                                            tolerancePercent: tolerance, gated: gatedFigures, absoluteFloorMicros: timeFloorMicros,
                                            waitsByPlanIndex: (simulated.0.queueWaitByPlanIndexMicros, measured.map(\.queueWaitByPlanIndexMicros)))
        let report = FidelityReport(scenario: scenario.name, seed: simulated.0.summary.seed, timeScale: timeScale, target: target,
                                    tolerancePercent: tolerance, realRuns: `repeat`, rule: FidelityReport.rule,
                                    appliedSettings: overrides.isEmpty ? nil : overrides.map(\.description),
                                    rows: comparison.rows, matchedTasks: comparison.matchedTasks)
        let encoded = try SummaryFiles.encoder().encode(report)
        try encoded.write(to: URL(fileURLWithPath: directory + "/fidelity.json"))
        if json {
            print(String(decoding: encoded, as: UTF8.self))
        } else {
            print(Self.table(comparison, scenario: scenario.name, seed: report.seed, timeScale: timeScale, target: target,
                             realMemoryMeasured: target == "lovage",
                             realDuplicatesCounted: measured.allSatisfy { $0.summary.taskEvents != nil },
                             settings: report.appliedSettings ?? []))
            print("")
            print((["reports   \(directory)/sim/report.html"] + realDirectories.map { "          \($0)/report.html" }
                   + ["          \(directory)/fidelity.json"]).joined(separator: "\n"))
        }
        if !comparison.failures.isEmpty { throw ExitCode(1) }
    }

    /// Wide enough for the longest figure name, `pipeline.latency.p50`, and a space.
    static let figureColumn = 22

    /// - Parameters:
    ///   - realMemoryMeasured: false for Celery workers, which publish no jemalloc stats.
    ///   - realDuplicatesCounted: whether the real run counted executions from task events.
    static func table(_ comparison: FidelityComparison, scenario: String, seed: UInt64, timeScale: Double, target: String,
                      realMemoryMeasured: Bool, realDuplicatesCounted: Bool = true, settings: [String] = []) -> String {
        let several = comparison.realRunCount > 1
        var lines = ["fidelity  \(scenario)  seed \(seed)  time scale \(timeScale)  real: \(target) workers"
                     + (several ? " × \(comparison.realRunCount) runs" : "") + "  tolerance ±\(comparison.tolerancePercent)%"]
        if !settings.isEmpty { lines.append("settings  \(settings.joined(separator: " "))  (--set, in both runs)") }
        lines.append("")
        lines.append("figure".padding(toLength: Self.figureColumn, withPad: " ", startingAt: 0) + "simulated".leftPadded(14)
                     + (several ? "real median".leftPadded(14) + "real min–max".leftPadded(24) : "real".leftPadded(14))
                     + "difference".leftPadded(12) + "  verdict" + (several ? "   (each real run)" : ""))
        for row in comparison.rows {
            if row.figure == "peak_memory", !realMemoryMeasured {
                lines.append(row.figure.padding(toLength: Self.figureColumn, withPad: " ", startingAt: 0)
                             + SummaryText.format(metricValue: row.simulated, metric: row.figure).leftPadded(14)
                             + "not measured".leftPadded(14) + (several ? "".leftPadded(24) : "") + "".leftPadded(12) + "  (Celery workers publish no jemalloc stats)")
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
            var spread = ""
            var runs = ""
            if several {
                spread = uncounted ? "" : "\(SummaryText.format(metricValue: row.realRuns.min() ?? 0, metric: unit))–\(SummaryText.format(metricValue: row.realRuns.max() ?? 0, metric: unit))"
                runs = uncounted ? "" : "   " + row.realRuns.map { SummaryText.format(metricValue: $0, metric: unit) }.joined(separator: ", ")
            }
            lines.append(row.figure.padding(toLength: Self.figureColumn, withPad: " ", startingAt: 0) + sim.leftPadded(14) + real.leftPadded(14)
                         + (several ? spread.leftPadded(24) : "") + difference.leftPadded(12) + "  " + verdict + runs)
        }
        if let matched = comparison.matchedTasks {
            lines.append("")
            lines.append("matched_wait.p50: queue wait over the \(matched) tasks that ended in both runs (by their place in the load)")
        }
        let failures = comparison.failures.map(\.figure)
        lines.append("")
        let judged = several ? "of the \(comparison.realRunCount) real runs' range" : "of the real run"
        lines.append(failures.isEmpty ? "verdict   every gated figure within ±\(comparison.tolerancePercent)% \(judged)"
                                      : "verdict   outside ±\(comparison.tolerancePercent)% \(judged): \(failures.joined(separator: ", "))")
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
    /// How many times the real side ran.
    var realRuns: Int
    /// How the verdict was reached, for a reader of the file.
    var rule: String
    static let rule = "within when min(real) - tolerance*|min(real)| <= simulated <= max(real) + tolerance*|max(real)| "
        + "(or, for a time, at most time_floor_micros outside that range); `real` is the median of the real runs"
    /// The `--set` settings applied to both runs.
    var appliedSettings: [String]?
    var rows: [FidelityComparison.Row]
    /// How many tasks ended in both runs (what `matched_wait.p50` covers).
    var matchedTasks: Int?
}
