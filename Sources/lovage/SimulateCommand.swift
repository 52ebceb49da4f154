import ArgumentParser
import Foundation
import Reports
import Scenarios
import Simulation
import WorkerCore

/// `lovage simulate FILE`: run a scenario in virtual time on the simulated broker.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a scenario in virtual time against the simulated Kombu-on-Redis broker.",
        discussion: """
        Prints a summary and writes summary.json, report.html and timeline.csv under --out (and trace.jsonl \
        with --trace). \
        Exits 1 when a scenario assertion fails, 2 when the scenario file is invalid.
        """)

    @Argument(help: "Scenario file (YAML).")
    var file: String

    @Option(help: "Root seed; overrides the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Output folder (default: results/runs/<scenario>-seed<N>, followed by the --set settings, e.g. -workers10-concurrency8).")
    var out: String?

    @OptionGroup var traceFile: TraceFileOption

    @Option(help: "Also write the summary without its timeline to this file (a regression baseline).")
    var baseline: String?

    @Flag(help: "Print only the summary.json path and the assertion outcome.")
    var quiet = false

    @Flag(help: "Print the summary as JSON on standard output instead of the text summary.")
    var json = false

    @Flag(help: ArgumentHelp("Print the summary as JSON without its timeline and write no files: what `lovage plan` reads for each configuration.", visibility: .hidden))
    var figuresOnly = false

    @Option(name: .customLong("seeds"), help: ArgumentHelp("With --figures-only: simulate each of these seeds (11,12,13) in turn, one JSON summary per line: what `lovage plan` runs per configuration.", visibility: .hidden))
    var seedList: String?

    @Option(name: .customLong("set"), help: "Change a setting: workers=N, concurrency=N, prefetch_multiplier=N, max_tasks_per_child=N, autoscale=MAX,MIN|off, seed=N, rate=R, load_factor=F, scaler.<setting>=V (repeatable, applied in order; a setting that would not change the run is refused).")
    var settings: [String] = []

    func validate() throws {
        try Self.validateSettings(settings, seed: seed)
        if let seedList {
            guard figuresOnly else { throw ValidationError("--seeds needs --figures-only") }
            _ = try SeedBatch.parseSeeds(seedList)
        }
    }

    /// Checks `--set` texts (key, value form) and that `--seed` and `--set seed=` are not both
    /// given: `--seed` wins over the scenario's seed, so beside it `--set seed=` would do nothing.
    static func validateSettings(_ settings: [String], seed: UInt64?) throws {
        let overrides: [ScenarioOverride]
        do { overrides = try ScenarioOverride.parseAll(settings) } catch { throw ValidationError(error.description) }
        if seed != nil, let set = overrides.first(where: { $0.key == "seed" }) {
            throw ValidationError("--set \(set) and --seed both give the seed; use one of them")
        }
    }

    func run() throws {
        let overrides = try ScenarioOverride.parseAll(settings)
        if let seedList {
            try SeedBatch(file: file, seeds: SeedBatch.parseSeeds(seedList), overrides: overrides).printFigures()
            return
        }
        let simulation = SimulationRun(file: file, seed: seed, out: out, writesTrace: traceFile.writesTrace && !figuresOnly, baseline: baseline,
                                       quiet: quiet, json: json || figuresOnly, overrides: overrides)
        if figuresOnly { try simulation.printFigures() } else { try simulation.run() }
    }
}

/// One simulated run with its outputs: what `lovage simulate` and `lovage run --mode sim` do.
struct SimulationRun {
    var file: String
    var seed: UInt64?
    var out: String?
    /// Write trace.jsonl (`--trace`); the hash is computed either way.
    var writesTrace: Bool
    var baseline: String?
    var quiet: Bool
    var json: Bool
    var timeScale: Double = 1
    var overrides: [ScenarioOverride] = []
    /// Keep each task's queue wait (`lovage fidelity` matches them against a real run's).
    var recordTaskWaits = false

    func run() throws {
        let (result, directory, wallSeconds, tracePath) = try simulate()
        try RunOutputs(file: file, directory: directory, baseline: baseline, quiet: quiet, json: json)
            .finish(result, wallSeconds: wallSeconds, extraFiles: tracePath.map { [$0] } ?? [],
                    notes: tracePath == nil ? traceNotWritten(seed: result.summary.seed) : [])
    }

    /// What the text summary says when no trace file was written: how to get it. `lovage replay`
    /// regenerates the run from the file and the seed only, so it is offered only when no `--set`
    /// or `--time-scale` changed the run.
    func traceNotWritten(seed: UInt64) -> [String] {
        var lines = ["trace     not written (the hash above is the same either way): add --trace for trace.jsonl"]
        if overrides.isEmpty && timeScale == 1 {
            lines.append("          or, for one task's events: lovage replay \(file) --seed \(seed) --task ID --trace")
        }
        return lines
    }

    /// `--figures-only`: the summary as JSON on standard output, without its timeline, and no files.
    /// A sweep of long runs spent seconds per configuration encoding a 3,600-sample timeline twice
    /// (summary.json and standard output), rendering report.html and decoding it all again in
    /// `lovage plan`, which reads only the run's figures.
    func printFigures() throws {
        let (result, _, _, _) = try simulate(createsFolder: false)
        var summary = result.summary
        summary.timeline = []
        print(String(decoding: try SummaryFiles.encoder().encode(summary), as: UTF8.self))
        for outcome in result.assertionOutcomes where !outcome.holds {
            printError("assertion failed: \(outcome.assertion.text) (value: \(outcome.value.map { SummaryText.format(metricValue: $0, metric: outcome.assertion.metric) } ?? "unknown"))")
        }
        if !result.assertionsHold { throw ExitCode(1) }
    }

    /// Runs the simulation (with a progress bar on a terminal unless quiet) and returns the result,
    /// the output folder, the wall time and the trace file's path, writing nothing else.
    func simulate(createsFolder: Bool = true) throws -> (RunResult, String, Double, String?) {
        let scenario: Scenario
        do {
            scenario = try ScenarioLoader.load(path: file).overriding(overrides).timeScaled(by: timeScale)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let seedInUse = seed ?? scenario.seed
        let directory = out ?? ScenarioOverride.defaultFolder(scenario: scenario.name, seed: seedInUse, overrides: overrides)
        if createsFolder { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let tracePath = !writesTrace ? nil : (directory as NSString).appendingPathComponent("trace.jsonl")
        let total = (scenario.duration + scenario.drain).seconds
        let showProgress = !quiet && !json && standardErrorIsTerminal
        var progress: (@Sendable (Double, Double) -> Void)? = nil
        let progressStart = Date()
        if showProgress {
            progress = { fraction, seconds in
                writeProgress(fraction: fraction, virtualSeconds: seconds, totalSeconds: total, startedAt: progressStart)
            }
        }
        let options = SimulationOptions(seed: seed, tracePath: tracePath, progress: progress, recordTaskWaits: recordTaskWaits)

        let started = Date()
        var result = try Simulator(scenario: scenario, options: options).run()
        if !overrides.isEmpty { result.summary.appliedSettings = overrides.map(\.description) }
        let wallSeconds = Date().timeIntervalSince(started)
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        return (result, directory, wallSeconds, tracePath)
    }
}

/// Writes a run's summary.json, report.html and timeline.csv, prints the summary (text, JSON or
/// one line) and exits 1 when an assertion fails: the same for simulated and real runs.
struct RunOutputs {
    var file: String
    var directory: String
    var baseline: String?
    var quiet: Bool
    var json: Bool

    /// `notes`: lines the text summary ends with (what was not written, and how to get it).
    func finish(_ result: RunResult, wallSeconds: Double, extraFiles: [String], notes: [String] = []) throws {
        let written = try writeFiles(result)
        let files = written + extraFiles
        if json {
            print(String(decoding: try SummaryFiles.encoder().encode(result.summary), as: UTF8.self))
        } else if quiet {
            print("seed \(result.summary.seed) trace \(result.summary.traceHash) -> \(written[0])")
        } else {
            print(([SummaryText.render(result, scenarioPath: file, wallSeconds: wallSeconds, files: files)] + notes).joined(separator: "\n"))
        }
        for outcome in result.assertionOutcomes where !outcome.holds {
            printError("assertion failed: \(outcome.assertion.text) (value: \(outcome.value.map { SummaryText.format(metricValue: $0, metric: outcome.assertion.metric) } ?? "unknown"))")
        }
        if !result.assertionsHold { throw ExitCode(1) }
    }

    /// Writes the files only (for `lovage fidelity`, which prints its own table).
    func finishQuietly(_ result: RunResult) throws { _ = try writeFiles(result) }

    /// summary.json, report.html and timeline.csv (and the baseline when asked); their paths.
    private func writeFiles(_ result: RunResult) throws -> [String] {
        var written = try SummaryFiles.write(result.summary, to: directory)
        if let baseline { try SummaryFiles.writeBaseline(result.summary, to: baseline) }
        let reportPath = (directory as NSString).appendingPathComponent("report.html")
        let assertionLines = result.assertionOutcomes.map { outcome in
            HTMLReport.AssertionLine(text: outcome.assertion.text, holds: outcome.holds,
                                     actual: outcome.value.map { SummaryText.format(metricValue: $0, metric: outcome.assertion.metric) } ?? "unknown",
                                     metric: outcome.assertion.metric, threshold: outcome.assertion.threshold)
        }
        try Data(HTMLReport.render(result.summary, assertions: assertionLines).utf8).write(to: URL(fileURLWithPath: reportPath))
        written.insert(reportPath, at: 1)
        return written
    }
}
