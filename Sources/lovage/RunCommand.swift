import ArgumentParser
import Foundation
import Logging
import LovageLogging
import RealRun
import Reports
import Scenarios
import Simulation
import WorkerCore

/// `lovage run FILE --mode sim|redis`: one scenario file, run in virtual time or for real.
struct RunCommand: ParsableCommand, LoggingCommand {
    func logSetup() throws -> LogSetup { LogSetup(format: try logFormat.resolve(), level: .info) }

    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario on the simulated broker (--mode sim) or on real Redis with real workers (--mode redis).",
        discussion: """
        Both modes write summary.json, report.html and timeline.csv under --out. In redis mode Lovage \
        starts a redis-server of its own on a free loopback port (unless --broker names one), starts the \
        scenario's fleet as `lovage worker` processes (or Celery workers with --target celery) that register \
        the scenario's task names as synthetic bodies with its task options (so the workers decide the retries), \
        publishes the load under those names on the scenario's schedule (open model: latency counts from \
        each task's intended send time, late sends are counted), applies the faults for real, and stops \
        everything it started, also on Ctrl-C. Exits 1 when an assertion fails, 2 when the scenario \
        cannot run.
        """)

    enum Mode: String, ExpressibleByArgument, CaseIterable { case sim, redis }

    @Argument(help: "Scenario file (YAML).")
    var file: String

    @Option(help: "sim (virtual time, simulated broker) or redis (real Redis, real workers).")
    var mode: Mode = .sim

    @Option(help: "Root seed; overrides the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Output folder (default: results/runs/<scenario>-<mode>-seed<N>, followed by the --set settings).")
    var out: String?

    @Option(name: .customLong("set"), help: "Change a setting as `lovage simulate --set` does (workers=N, concurrency=N, autoscale=MAX,MIN|off, ...; repeatable, applied in order), in both modes: a plan's pick runs for real as it was simulated.")
    var settings: [String] = []

    @Option(help: "Multiply every duration by this and divide every rate by it (0.1: a 1 h scenario in 6 min).")
    var timeScale: Double = 1

    @Option(name: [.customShort("b"), .long], help: "redis mode: use this Redis server instead of starting one (its data is not cleared).")
    var broker: String?

    @OptionGroup var connection: BrokerConnectionOptions

    @Option(help: "redis mode: lovage (lovage worker processes) or celery (Python Celery workers).")
    var target: String = "lovage"

    @Option(help: "redis mode, --target celery: the Python with celery[redis] installed.")
    var python: String = ".venv/bin/python"

    @Flag(help: "redis mode: publish the load with no fleet and read no results (measures the publisher).")
    var publishOnly = false

    @Flag(help: "redis mode: run the fleet without task events (-E): less work per task, but duplicates are not counted and retried tasks have no queue wait.")
    var noTaskEvents = false

    /// sim mode: `--trace` writes trace.jsonl (a real run has no trace).
    @OptionGroup var traceFile: TraceFileOption

    @Flag(help: "Print only the summary.json path and the assertion outcome.")
    var quiet = false

    @Flag(help: "Print the summary as JSON on standard output.")
    var json = false
    @OptionGroup var logFormat: LogFormatOption

    func validate() throws {
        guard timeScale > 0, timeScale.isFinite else { throw ValidationError("--time-scale must be a positive number, got \(timeScale)") }
        guard RealRunOptions.Target(rawValue: target) != nil else { throw ValidationError("--target must be lovage or celery, got \(target)") }
        try SimulateCommand.validateSettings(settings, seed: seed)
        if traceFile.writesTrace && mode == .redis {
            throw ValidationError("--trace is for --mode sim: a real run has no trace (its workers' logs are under --out)")
        }
    }

    /// The `--set` settings (checked by `validate`).
    var overrides: [ScenarioOverride] { (try? ScenarioOverride.parseAll(settings)) ?? [] }

    func run() throws {
        switch mode {
        case .sim:
            let directory = try out ?? defaultDirectory(mode: "sim")
            try SimulationRun(file: file, seed: seed, out: directory, writesTrace: traceFile.writesTrace, baseline: nil, quiet: quiet, json: json,
                              timeScale: timeScale, overrides: overrides).run()
        case .redis:
            try runForReal()
        }
    }

    func defaultDirectory(mode: String) throws -> String {
        let scenario = try loadScenario()
        return ScenarioOverride.defaultFolder(scenario: scenario.name, kind: mode + "-", seed: seed ?? scenario.seed, overrides: overrides)
    }

    /// The scenario file with the `--set` settings applied.
    private func loadScenario() throws -> Scenario {
        do { return try ScenarioLoader.load(path: file).overriding(overrides) } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }

    private func runForReal() throws {
        let (result, directory, wallSeconds, logs) = try runReal()
        try RunOutputs(file: file, directory: directory, baseline: nil, quiet: quiet, json: json)
            .finish(result, wallSeconds: wallSeconds, extraFiles: [logs])
    }

    /// The real run: returns the result, the output folder, the wall time and the logs folder.
    func runReal() throws -> (RunResult, String, Double, String) {
        let scenario = try loadScenario()
        let targetInUse = RealRunOptions.Target(rawValue: target) ?? .lovage
        let directory = try out ?? defaultDirectory(mode: targetInUse == .lovage ? "redis" : "celery")
        let logs = (directory as NSString).appendingPathComponent("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var options = RealRunOptions(lovageExecutable: executable, pythonExecutable: Self.absolute(python),
                                     celeryModuleDirectory: Self.interopDirectory(executable: executable), logDirectory: logs,
                                     logger: quiet || json ? Logger(label: "lovage.run") { _ in SwiftLogNoOpLogHandler() } : Logger(label: "lovage.run"))
        options.seed = seed
        options.timeScale = timeScale
        options.target = targetInUse
        options.publishOnly = publishOnly
        options.taskEvents = !noTaskEvents
        if let broker {
            options.brokerURL = try connection.brokerURL(broker)
            // The lovage workers the run starts read the same transport options from the environment.
            if let given = connection.brokerTransportOptions { setenv("LOVAGE_BROKER_TRANSPORT_OPTIONS", given, 1) }
        }
        if targetInUse == .celery, !FileManager.default.isExecutableFile(atPath: options.pythonExecutable) {
            printError("--target celery needs a Python with celery[redis]: \(options.pythonExecutable) is not executable (scripts/test.sh makes .venv; or pass --python)")
            throw ExitCode(2)
        }
        let runner: RealRunner
        do { runner = try RealRunner(scenario: scenario, options: options) } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let showProgress = !quiet && !json && standardErrorIsTerminal
        let total = (runner.scenario.duration + runner.scenario.drain).seconds
        let progressStart = Date()
        if showProgress {
            runner.progress = { fraction, seconds in
                writeProgress(fraction: fraction, virtualSeconds: seconds, totalSeconds: total, startedAt: progressStart)
            }
        }
        // Ctrl-C or SIGTERM stops the load; the run then stops its workers and server and reports.
        let sources = interruptSources { runner.interrupt() }
        defer { sources.forEach { $0.cancel() } }
        let started = Date()
        var result: RunResult
        do { result = try runner.run() } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        if !overrides.isEmpty { result.summary.appliedSettings = overrides.map(\.description) }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        return (result, directory, Date().timeIntervalSince(started), logs)
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The repository's interop/ folder (lovage_synthetic.py for --target celery): next to the
    /// current directory, or found from the executable's location in .build/.
    static func interopDirectory(executable: String) -> String {
        var candidates = [FileManager.default.currentDirectoryPath + "/interop"]
        var url = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0..<4 {
            url = url.deletingLastPathComponent()
            candidates.append(url.path + "/interop")
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/lovage_synthetic.py") } ?? candidates[0]
    }
}
