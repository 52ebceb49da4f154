import Foundation
import Scenarios
import Simulation

/// Re-runs one seed (with its swarm configuration when asked) with a trace, judges it, and tells the
/// story of the tasks its broken invariants name, or of one task asked for.
public struct Replay: Sendable {
    public var scenario: Scenario
    public var seed: UInt64
    public var swarm: Bool
    public var swarmChanges: [String]
    public var traceHash: String
    public var breaches: [Breach]
    public var stories: [TaskStory]
    /// The raw trace lines of the told tasks (with their workers' events), for `--trace`.
    public var rawLines: [String: [String]]
    /// Record kinds in the trace that this build does not know (`TraceExcerpt.unknownKinds`).
    public var unknownTraceKinds: [String]

    /// Stories told when no task is named: one per broken invariant, up to this many in all.
    static let storiesTold = 3

    public init(base: Scenario, seed: UInt64, swarm: Bool, task: String?) throws {
        scenario = Explorer.scenario(base, seed: seed, swarm: swarm)
        self.seed = seed
        self.swarm = swarm
        swarmChanges = swarm ? Swarm.choose(for: base, seed: seed).changes(from: base) : []
        // Unique per replay: two replays of the same seed in one process (threads, tests) must not
        // share, and delete, each other's trace.
        let tracePath = FileManager.default.temporaryDirectory
            .appendingPathComponent("lovage-replay-\(ProcessInfo.processInfo.processIdentifier)-\(seed)-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: tracePath) }
        let result = try Simulator(scenario: scenario, options: SimulationOptions(seed: seed, tracePath: tracePath)).run()
        traceHash = result.summary.traceHash
        breaches = InvariantCheck.breaches(of: result, scenario: scenario)

        var wanted: [String]
        if let task {
            wanted = [task]
        } else {
            guard !breaches.isEmpty else {
                throw ReplayError("seed \(seed) of \(base.sourcePath)\(swarm ? " (with its swarm configuration)" : "") breaks no invariant "
                                  + "(trace hash \(traceHash)); name a task with --task ID to hear its story anyway")
            }
            wanted = []
            for breach in breaches {
                for subject in breach.subjects.prefix(1) where !wanted.contains(subject) && wanted.count < Self.storiesTold {
                    wanted.append(subject)
                }
            }
        }
        var excerpt = try TraceExcerpt.read(path: tracePath, tasks: wanted)
        if task == nil, wanted.isEmpty, let last = excerpt.lastFinishingTask {
            // A backlog that drained late leaves no task behind: tell the last one to finish.
            wanted = [last]
            excerpt = try TraceExcerpt.read(path: tracePath, tasks: wanted)
        }
        if let task, excerpt.recordsByTask[task] == nil {
            let known = excerpt.firstTaskIDs.joined(separator: ", ")
            throw ReplayError("task \(task) does not appear in seed \(seed)'s run of \(base.sourcePath)"
                              + (known.isEmpty ? " (no task was published)" : "; its task ids look like \(known), ..."))
        }
        unknownTraceKinds = excerpt.unknownKinds
        let told = scenario
        stories = wanted.compactMap { id in
            guard let records = excerpt.recordsByTask[id] else { return nil }
            return TaskStory(taskID: id, records: records, workerEvents: excerpt.workerEvents, scenario: told)
        }
        rawLines = [:]
        for id in wanted {
            let records = excerpt.recordsByTask[id] ?? []
            guard let first = records.first?.microseconds, let last = records.last?.microseconds else { continue }
            let workers = Set(records.compactMap { $0["worker"] })
            let related = excerpt.workerEvents.filter { event in
                let ended = records.contains(where: \.endsTask)
                return event.microseconds >= first && (event.microseconds <= last || !ended) && (event["worker"].map(workers.contains) ?? false)
            }
            rawLines[id] = (records + related).sorted { $0.sequence < $1.sequence }.map(\.line)
        }
    }

    /// The replay as text: the run, what broke, and each told task's story (and raw events).
    public func text(file: String, withTrace: Bool) -> String {
        var lines: [String] = []
        lines.append("replay    \(scenario.name)  (\(file))  seed \(seed)" + (swarm ? ", swarm configuration of the seed" : ""))
        if swarm {
            lines.append("swarm     " + (swarmChanges.isEmpty ? "nothing varied (the scenario as written)" : swarmChanges.joined(separator: "; ")))
        }
        lines.append("trace     hash \(traceHash)")
        if !unknownTraceKinds.isEmpty {
            lines.append("trace     record kinds this build does not know, told as they are: " + unknownTraceKinds.joined(separator: ", "))
        }
        if breaches.isEmpty {
            lines.append("broken    nothing: every invariant held")
        }
        for breach in breaches {
            lines.append("broken    \(breach.invariant.title): \(breach.detail)")
        }
        for story in stories {
            lines.append("")
            lines.append("task \(story.taskID)" + (story.taskName.map { " (\($0))" } ?? ""))
            lines += story.lines.map { "  " + $0 }
            if withTrace {
                lines.append("  raw events:")
                lines += (rawLines[story.taskID] ?? []).map { "    " + $0 }
            }
        }
        return lines.joined(separator: "\n")
    }
}
