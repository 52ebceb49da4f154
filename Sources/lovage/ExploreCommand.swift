import ArgumentParser
import Exploration
import Foundation
import Scenarios

/// `lovage explore FILE --seeds A...B`: swarm testing over many seeds, failing seeds grouped by
/// invariant, each with the command that replays it.
struct ExploreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Run many seeds of a scenario with swarm testing and list the seeds whose invariants break.",
        discussion: """
        For each seed the scenario's fault kinds are switched on or off and weighted, fault times moved \
        and failure, hang and crash chances scaled, all derived from the seed (--no-swarm runs the file \
        as written). Invariants: no lost task, no duplicate execution the configuration does not allow, \
        no run before its eta or after it expired, attempts within max_retries + 1, and the backlog \
        drained within `invariants.drain_within` (else the drain period) after the load and the last \
        fault. Seeds run in this process on --jobs threads; no run writes a file. The report goes to \
        standard output (the same for the same arguments); the speed goes to standard error. \
        Exits 1 when some seed breaks an invariant, 2 when the scenario file is invalid.
        """)

    @Argument(help: "Scenario file (YAML).")
    var file: String

    @Option(help: "Seeds to run: FIRST...LAST, FIRST..<END or one seed.")
    var seeds: String = "1...1000"

    @Option(help: "Threads running seeds (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Run every seed with the scenario as written (no swarm testing).")
    var noSwarm = false

    @Flag(help: "Print the report as JSON (every failing seed, per invariant).")
    var json = false

    @OptionGroup(title: "Sweeping on a Celery fleet") var fleet: BrokerSweepOptions

    @Option(help: "With --broker: seeds per lovage.simulate task (a small scenario's seed takes milliseconds, less than a task's round trip).")
    var seedsPerTask: Int = 100

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        do { _ = try SeedRange(parsing: seeds) } catch { throw ValidationError("\(error)") }
        guard seedsPerTask >= 1 else { throw ValidationError("--seeds-per-task must be at least 1, got \(seedsPerTask)") }
        do { try fleet.check() } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let range = try SeedRange(parsing: seeds)
        let scenario = try loadScenario(file)
        let explorer = Explorer(scenario: scenario, seeds: range, jobs: jobs, swarm: !noSwarm)
        let showProgress = standardErrorIsTerminal
        let total = range.count
        let started = Date()
        var progress: (@Sendable (Int) -> Void)? = nil
        if showProgress {
            progress = { done in
                guard done % 100 == 0 || done == total else { return }
                FileHandle.standardError.write(Data("\r\u{1B}[Kchecked \(done)/\(total) seeds".utf8))
            }
        }
        let outcomes: [SeedOutcome]
        if let settings = try fleet.settings(showProgress: showProgress) {
            do {
                outcomes = try BrokerSweep(settings: settings, unit: "seed batch")
                    .explore(file: file, seeds: (0..<total).map(range.seed(at:)), swarm: !noSwarm, batch: seedsPerTask)
            } catch let error as PlanError {
                printError("lovage explore: \(error)")
                throw ExitCode(ExitStatus.badInput)
            }
        } else {
            outcomes = try explorer.run(progress: progress)
        }
        let wall = Date().timeIntervalSince(started)
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let report = ExplorationReport(scenarioName: scenario.name, file: file, seeds: range, swarm: !noSwarm, outcomes: outcomes,
                                       periodic: scenario.schedule != nil)
        if json {
            try printJSON(report)
        } else {
            print(report.text)
        }
        fflush(nil)   // the report before the speed line on a shared terminal
        let runners = fleet.broker == nil ? "on \(min(jobs, total)) threads" : "on the workers of queue \(fleet.queue)"
        printError(String(format: "speed     %d seeds in %.2f s wall %@: %.0f seeds/min", outcomes.count, wall, runners,
                          wall > 0 ? Double(outcomes.count) / wall * 60 : 0))
        if report.seedsFailing > 0 { throw ExitCode(ExitStatus.checkFailed) }
    }
}

/// Loads a scenario file, printing its errors and exiting 2 when it is invalid.
func loadScenario(_ file: String) throws -> Scenario {
    do { return try ScenarioLoader.load(path: file) } catch {
        printError("\(error)")
        throw ExitCode(ExitStatus.badInput)
    }
}
