import ArgumentParser
import Exploration
import Foundation
import Scenarios

/// `lovage shrink FILE --seed N`: the smallest scenario found that still breaks the same invariant.
struct ShrinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shrink",
        abstract: "Reduce a failing seed's scenario while the same invariant still breaks, and write it.",
        discussion: """
        Greedy delta debugging over the scenario's parameters: faults, bursts, task types, phases and \
        worker groups are removed, the load, duration and drain halved, workers, concurrency and \
        prefetch lowered; a change is kept when the seed still breaks the invariant. Writes the \
        smallest scenario found (with the seed, and the swarm's choices when --swarm) and prints what \
        it removed. Exits 0 when written, 2 on bad input or when the seed breaks nothing.
        """)

    @Argument(help: "Scenario file (YAML).")
    var file: String

    @Option(help: "The failing seed.")
    var seed: UInt64

    @Flag(help: "Start from the seed's swarm configuration, as `lovage explore` ran it.")
    var swarm = false

    @Option(help: "The invariant to keep broken (default: the first the seed breaks): \(Invariant.allCases.map(\.rawValue).joined(separator: ", ")).")
    var invariant: String?

    @Option(help: "Where to write the shrunk scenario (default: results/shrunk/<scenario>-seed<N>.yaml).")
    var out: String?

    @Flag(help: "Print what was shrunk as JSON (the file is written all the same).")
    var json = false

    /// The outcome as `--json` prints it (no wall time, so the same arguments print the same bytes).
    struct Report: Encodable {
        struct Size: Encodable {
            var tasks: Int
            var workers: Int
            var slots: Int
            var faults: Int
            var durationMicros: Int64
            init(_ size: Shrinker.Size) {
                tasks = size.tasks; workers = size.workers; slots = size.slots; faults = size.faults
                durationMicros = size.duration.microseconds
            }
        }
        var scenario: String
        var file: String
        var seed: UInt64
        var swarm: Bool
        var invariant: String
        var title: String
        var detail: String
        var before: Size
        var after: Size
        /// The changes kept, in order.
        var steps: [String]
        /// Simulations run while shrinking.
        var runs: Int
        var written: String
        var replay: String
    }

    func validate() throws {
        if let invariant, Invariant(named: invariant) == nil {
            throw ValidationError("--invariant \(invariant): unknown; one of \(Invariant.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let scenario = try loadScenario(file)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let started = Date()
        let outcome: Shrinker.Outcome
        do {
            outcome = try Shrinker(file: file, seed: seed).shrink(yaml: text, swarm: swarm, invariant: invariant.flatMap(Invariant.init(named:)))
        } catch let error as ReplayError {
            printError("error: \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
        let path = out ?? "results/shrunk/\(scenario.name)-seed\(seed).yaml"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let header = """
            # Shrunk by `lovage shrink \(file) --seed \(seed)\(swarm ? " --swarm" : "")`: the smallest run found that
            # still breaks "\(outcome.invariant.title)" with seed \(seed) (written below).
            # Replay: lovage replay \(path) --seed \(seed)

            """
        try Data((header + outcome.yaml + (outcome.yaml.hasSuffix("\n") ? "" : "\n")).utf8).write(to: URL(fileURLWithPath: path))
        if json {
            try printJSON(Report(scenario: scenario.name, file: file, seed: seed, swarm: swarm, invariant: outcome.invariant.rawValue,
                                 title: outcome.invariant.title, detail: outcome.breach.detail, before: Report.Size(outcome.before),
                                 after: Report.Size(outcome.after), steps: outcome.steps, runs: outcome.runs, written: path,
                                 replay: "lovage replay \(path) --seed \(seed)"))
            fflush(nil)
            printError(String(format: "shrinking took %.2f s", Date().timeIntervalSince(started)))
            return
        }
        print("shrunk    \(scenario.name)  (\(file))  seed \(seed)\(swarm ? " with its swarm configuration" : "")")
        print("keeps     \(outcome.invariant.title): \(outcome.breach.detail)")
        print("before    \(outcome.before.text)")
        print("after     \(outcome.after.text)")
        print("steps     \(outcome.steps.count) kept of \(outcome.runs) runs:")
        for step in outcome.steps { print("  \(step)") }
        print("written   \(path)")
        print("replay    lovage replay \(path) --seed \(seed)")
        fflush(nil)
        printError(String(format: "shrinking took %.2f s", Date().timeIntervalSince(started)))
    }
}
