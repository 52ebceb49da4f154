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

    @Flag(help: "Print the replay as JSON: the run, the broken invariants and each told task's story.")
    var json = false

    /// The replay as `--json` prints it.
    struct Report: Encodable {
        struct Broken: Encodable {
            var invariant: String
            var title: String
            var detail: String
            var subjects: [String]
        }
        struct Story: Encodable {
            var taskId: String
            var taskName: String?
            var lines: [String]
            /// The raw trace records (JSON lines) of the task and its workers, with --trace.
            var rawEvents: [String]?
        }
        var scenario: String
        var file: String
        var seed: UInt64
        var swarm: Bool
        var swarmChanges: [String]
        var traceHash: String
        var breaches: [Broken]
        var stories: [Story]

        init(_ replay: Replay, file: String, withTrace: Bool) {
            scenario = replay.scenario.name
            self.file = file
            seed = replay.seed
            swarm = replay.swarm
            swarmChanges = replay.swarmChanges
            traceHash = replay.traceHash
            breaches = replay.breaches.map { Broken(invariant: $0.invariant.rawValue, title: $0.invariant.title, detail: $0.detail, subjects: $0.subjects) }
            stories = replay.stories.map { story in
                Story(taskId: story.taskID, taskName: story.taskName, lines: story.lines,
                      rawEvents: withTrace ? (replay.rawLines[story.taskID] ?? []) : nil)
            }
        }
    }

    func run() throws {
        let scenario = try loadScenario(file)
        let replay: Replay
        do {
            replay = try Replay(base: scenario, seed: seed, swarm: swarm, task: task)
        } catch let error as ReplayError {
            printError("error: \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
        if json {
            try printJSON(Report(replay, file: file, withTrace: trace))
        } else {
            print(replay.text(file: file, withTrace: trace))
        }
        if !replay.breaches.isEmpty { throw ExitCode(ExitStatus.checkFailed) }
    }
}
