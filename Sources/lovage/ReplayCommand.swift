import ArgumentParser
import Exploration
import Foundation
import Scenarios

/// `lovage replay FILE --seed N`: re-run one seed and tell the story of the tasks it broke.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run one seed of a scenario and tell the story of the affected tasks.",
        discussion: """
        Runs the seed exactly as `lovage explore` did (--swarm applies the seed's swarm configuration), \
        lists the invariants it breaks and tells, in plain lines from the run's trace, what happened \
        to the tasks they name (or to --task ID). --trace adds the raw trace records of those tasks. \
        Exits 1 when an invariant breaks, 0 when none does (with --task), 2 on bad input.
        """)

    @Argument(help: "Scenario file (YAML).")
    var file: String

    @Option(help: "The seed to replay.")
    var seed: UInt64

    @Flag(help: "Apply the seed's swarm configuration, as `lovage explore` runs it.")
    var swarm = false

    @Option(help: "Tell the story of this task id (e.g. t12) instead of the affected ones.")
    var task: String?

    @Flag(help: "Also print the raw trace records of the told tasks.")
    var trace = false

    func run() throws {
        let scenario = try loadScenario(file)
        let replay: Replay
        do {
            replay = try Replay(base: scenario, seed: seed, swarm: swarm, task: task)
        } catch let error as ReplayError {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        print(replay.text(file: file, withTrace: trace))
        if !replay.breaches.isEmpty { throw ExitCode(1) }
    }
}
