import ArgumentParser
import Calibration
import CeleryWire
import FleetRecording
import Foundation
import Scenarios

/// `lovage calibrate`: a recording into a scenario (and `--check` it), or `--host` measurements.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Turn a `lovage record` recording into a scenario file, check it against the recording, or measure this host's costs.",
        discussion: """
        lovage calibrate DIR [--out FILE] [--check]: writes FILE (default DIR/calibrated.yaml) and, \
        for --load trace, its trace CSV beside it. --check simulates it over --seeds seeds and prints \
        recorded against simulated figures per task name. lovage calibrate --host -b URL measures \
        this host's and this Redis's hand-off costs (docs/recording.md); --host-from FILE merges them.
        """
    )

    @Argument(help: "The recording directory `lovage record --out` wrote.")
    var recording: String?

    @Option(help: "The scenario file to write (default: RECORDING/calibrated.yaml; with --host: host.yaml).")
    var out: String?

    @Option(help: "How the load is written: trace (every publish at its time; default) or phases (one phase per --window, bursts kept).")
    var load: String = "trace"

    @Option(help: "Window of a phase with --load phases: 60s (default), 5m.", transform: DurationArgument.parse)
    var window: DurationArgument = DurationArgument(.seconds(60))

    @Flag(help: "Simulate the calibrated scenario and compare it with the recording.")
    var check = false

    @Option(help: "Seeds for --check (1...N).")
    var seeds: Int = 5

    @Flag(help: "Print --check as JSON.")
    var json = false

    @Option(help: "Merge host and broker costs measured by `lovage calibrate --host` (a host.yaml).")
    var hostFrom: String?

    @Flag(help: "Measure this host's and broker's costs (needs -b) and write them to --out (default host.yaml).")
    var host = false

    @Option(name: [.customShort("b"), .long], help: "With --host: the broker to measure (a Redis you may load: it runs two short bursts).")
    var broker: String?

    @Option(help: "With --host: measure a fleet of lovage (default) or celery workers.")
    var target: String = "lovage"

    @Option(help: "With --host --target celery: the Python with celery[redis] installed.")
    var python: String = ".venv/bin/python"

    func validate() throws {
        if host {
            if broker == nil && ProcessInfo.processInfo.environment["CELERY_BROKER_URL"] == nil {
                throw ValidationError("--host needs the broker to measure: -b redis://HOST:PORT/DB")
            }
            if !["lovage", "celery"].contains(target) { throw ValidationError("--target must be lovage or celery, got \(target)") }
            return
        }
        guard recording != nil else { throw ValidationError("missing the recording directory (lovage calibrate DIR), or --host -b URL") }
        guard ScenarioText.LoadForm(rawValue: load) != nil else { throw ValidationError("--load must be trace or phases, got \(load)") }
        if seeds < 1 || seeds > 100 { throw ValidationError("--seeds must be between 1 and 100, got \(seeds)") }
        if window.seconds < 1 { throw ValidationError("--window must be at least 1s, got \(window)") }
    }

    func run() throws {
        if host { try HostMeasurement(command: self).run(); return }
        let directory = recording!
        let recorded: Recording
        let calibration: Calibration
        do {
            recorded = try RecordingReader.read(directory)
            calibration = try Calibrator.calibrate(recorded, windowSeconds: window.seconds)
        } catch {
            printError("Error: \(error.description)")
            throw ExitCode(2)
        }
        var hostSettings: HostSettings?
        if let hostFrom {
            do {
                let text = try String(contentsOfFile: hostFrom, encoding: .utf8)
                hostSettings = try HostSettings.parse(text, path: hostFrom)
            } catch let error as RecordingError {
                printError("Error: \(error.description)")
                throw ExitCode(2)
            } catch {
                printError("Error: cannot read \(hostFrom): \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }
        let base = directory.hasSuffix(".gz") ? (directory as NSString).deletingLastPathComponent : directory
        let scenarioPath = out ?? (base as NSString).appendingPathComponent("calibrated.yaml")
        let stem = ((scenarioPath as NSString).lastPathComponent as NSString).deletingPathExtension
        let traceName = stem + ".trace.csv"
        let tracePath = ((scenarioPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(traceName)
        var options = ScenarioText.Options(name: "calibrated-" + ((base as NSString).standardizingPath as NSString).lastPathComponent,
                                           source: directory, traceFile: traceName)
        options.loadForm = ScenarioText.LoadForm(rawValue: load)!
        options.hostSettings = hostSettings
        let text = ScenarioText.yaml(calibration, options)
        do {
            if options.loadForm == .trace { try calibration.load.traceCSV.write(toFile: tracePath, atomically: true, encoding: .utf8) }
            try text.write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        } catch {
            printError("Error: cannot write \(scenarioPath): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        let scenario: Scenario
        do { scenario = try ScenarioLoader.load(path: scenarioPath) } catch {
            // The writer's own output must load: a failure here is a bug in the writer, said as such.
            printError("Error: the calibrated scenario does not load (a lovage bug; please report it with the recording):\n\(error)")
            throw ExitCode(1)
        }
        if !json {
            for problem in calibration.notes { printError("note: \(problem)") }
            for (task, reason) in calibration.leftOut { printError("left out: \(task): \(reason)") }
            print("wrote \(scenarioPath)" + (options.loadForm == .trace ? " and \(tracePath)" : "")
                  + ": \(calibration.fleet.groups.count) fleet group(s), \(calibration.tasks.count) task type(s), \(calibration.load.arrivals.count) publishes over "
                  + String(format: "%.1f", calibration.seconds) + " s")
        }
        guard check else {
            if !json { print("next: lovage calibrate \(directory) --check   (or lovage simulate \(scenarioPath))") }
            return
        }
        let result: CalibrationCheck
        do { result = try CalibrationCheck.run(scenario: scenario, calibration: calibration, seeds: (1...seeds).map(UInt64.init)) } catch {
            printError("Error: simulating \(scenarioPath): \(error)")
            throw ExitCode(1)
        }
        if json { print(CalibrationCheckText.json(result, scenarioPath: scenarioPath).serializedString()) } else { print(CalibrationCheckText.table(result)) }
    }
}
