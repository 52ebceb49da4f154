import Foundation
import Reports
import Scenarios
import Simulation
import WorkerCore

/// Greedy delta debugging over a failing scenario's parameters: remove faults, bursts, phases and
/// task types, halve the load, the duration and the drain, and lower the workers, concurrency and
/// prefetch, keeping each change only if the same seed still breaks the same invariant.
///
/// Why greedy over parameters rather than over events: the result is a scenario file a person can
/// read, run and commit as a regression test, and each run of a small scenario costs milliseconds.
/// Changing the scenario changes what the seed's generators are asked for, so a kept change is one
/// under which the invariant still breaks with this seed, not one that keeps the same interleaving.
public struct Shrinker {
    public struct Outcome: Sendable {
        /// The smallest scenario found, as YAML the loader accepts (with the seed written in).
        public var yaml: String
        public var invariant: Invariant
        public var breach: Breach
        /// What was removed or lowered, in the order it was kept.
        public var steps: [String]
        public var before: Size
        public var after: Size
        public var runs: Int
    }

    /// The figures a shrink reports before and after.
    public struct Size: Sendable, Equatable {
        public var tasks: Int
        public var workers: Int
        public var slots: Int
        public var faults: Int
        public var duration: TimeSpan

        public var text: String {
            func count(_ value: Int, _ noun: String) -> String { "\(value) \(noun)\(value == 1 ? "" : "s")" }
            return [count(tasks, "task"), count(workers, "worker"), count(slots, "slot"), count(faults, "fault")].joined(separator: ", ")
                + ", run \(DurationText.format(duration)) (duration + drain)"
        }
    }

    let file: String
    let seed: UInt64
    /// At most this many candidate runs (each is one simulation).
    public var runLimit = 600

    public init(file: String, seed: UInt64) { self.file = file; self.seed = seed }

    /// Shrinks `original` (the file's text) as run with `seed` (and its swarm configuration when
    /// `swarm`), keeping `invariant` broken (default: the first the run breaks).
    public func shrink(yaml original: String, swarm: Bool, invariant wanted: Invariant?) throws -> Outcome {
        let base: Scenario
        do { base = try ScenarioLoader.parse(yaml: original, sourcePath: file) } catch { throw ReplayError("\(error)") }
        let swarmChoice = swarm ? Swarm.choose(for: base, seed: seed) : Swarm.identity(for: base)
        var document = try ScenarioDocument(yaml: original, file: file)
        materialize(swarmChoice, base: base, into: &document)
        document.set([.key("seed")], String(seed))
        // The shrunk file is written elsewhere (results/shrunk/), where a relative trace path would not resolve.
        if let trace = base.load.trace, !trace.path.hasPrefix("/") {
            let file = trace.file(besides: self.file)
            document.set([.key("load"), .key("trace")], file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file)
        }

        var runs = 0
        func judge(_ document: ScenarioDocument) -> (Scenario, RunResult, [Breach])? {
            guard let yaml = try? document.yaml(), let scenario = try? ScenarioLoader.parse(yaml: yaml, sourcePath: file) else { return nil }
            runs += 1
            guard let result = try? Simulator(scenario: scenario, options: SimulationOptions(seed: seed)).run() else { return nil }
            return (scenario, result, InvariantCheck.breaches(of: result, scenario: scenario))
        }
        guard let (startScenario, startResult, startBreaches) = judge(document) else {
            throw ReplayError("\(file) cannot be rewritten for shrinking")
        }
        let target: Invariant
        if let wanted {
            guard startBreaches.contains(where: { $0.invariant == wanted }) else {
                throw ReplayError("seed \(seed) of \(file)\(swarm ? " (with its swarm configuration)" : "") does not break \"\(wanted.title)\"; "
                                  + "it breaks: \(startBreaches.isEmpty ? "nothing" : startBreaches.map(\.invariant.title).joined(separator: ", "))")
            }
            target = wanted
        } else {
            guard let first = startBreaches.first else {
                throw ReplayError("seed \(seed) of \(file)\(swarm ? " (with its swarm configuration)" : "") breaks no invariant: nothing to shrink")
            }
            target = first.invariant
        }
        // Without an explicit drain_within the drain period is the liveness bound: keep it.
        let keepDrain = target == .liveness && startScenario.invariants.drainWithin == nil
        var best = (document: document, breach: startBreaches.first { $0.invariant == target }!,
                    size: Self.size(startScenario, startResult))
        let before = best.size
        var steps: [String] = []
        var progressed = true
        while progressed && runs < runLimit {
            progressed = false
            for candidate in Candidates.all(for: best.document, scenario: try scenarioOf(best.document), keepDrain: keepDrain) where runs < runLimit {
                var edited = best.document
                candidate.edit(&edited)
                guard let (scenario, result, breaches) = judge(edited),
                      let breach = breaches.first(where: { $0.invariant == target }) else { continue }
                let size = Self.size(scenario, result)
                guard !best.size.isSmaller(than: size) else { continue }
                best = (edited, breach, size)
                steps.append(candidate.description)
                progressed = true
                break
            }
        }
        return Outcome(yaml: try best.document.yaml(), invariant: target, breach: best.breach, steps: steps,
                       before: before, after: best.size, runs: runs)
    }

    private func scenarioOf(_ document: ScenarioDocument) throws -> Scenario {
        do { return try ScenarioLoader.parse(yaml: try document.yaml(), sourcePath: file) } catch { throw ReplayError("\(error)") }
    }

    static func size(_ scenario: Scenario, _ result: RunResult) -> Size {
        Size(tasks: result.summary.counts.published, workers: scenario.fleet.reduce(0) { $0 + $1.count },
             slots: scenario.fleet.reduce(0) { $0 + $1.count * ($1.autoscale?.maxConcurrency ?? $1.concurrency) },
             faults: scenario.faults.count, duration: scenario.duration + scenario.drain)
    }

    /// Writes the swarm's choices into the file: only the kept faults, at their moved times, and
    /// the scaled chances, so the shrunk file replays without `--swarm`.
    private func materialize(_ swarm: Swarm, base: Scenario, into document: inout ScenarioDocument) {
        let applied = swarm.apply(to: base)
        if document.node([.key("faults")]) != nil {
            var kept: [Yams.Node] = []
            for (position, index) in swarm.keptFaults.enumerated() {
                guard var node = document.node([.key("faults"), .index(index)]) else { continue }
                var single = ScenarioDocumentNode(node)
                let fault = applied.faults[position]
                if single.has("at") { single.set("at", DurationText.format(fault.start)) }
                if single.has("from") { single.set("from", DurationText.format(fault.start)) }
                if single.has("to"), let end = fault.end { single.set("to", DurationText.format(end)) }
                node = single.node
                kept.append(node)
            }
            if kept.isEmpty { document.remove([.key("faults")]) } else { document.set([.key("faults")], .sequence(Yams.Node.Sequence(kept))) }
        }
        for (index, task) in applied.tasks.enumerated() {
            for (key, value) in [("failure", task.body.failureProbability), ("hang", task.body.hangProbability), ("crash", task.body.crashProbability)] {
                let path: [ScenarioDocument.Step] = [.key("tasks"), .index(index), .key(key), .key("probability")]
                if document.node(path) != nil { document.set(path, String(value)) }
            }
        }
    }
}

import Yams

/// One mapping node edited in place (for a fault entry).
struct ScenarioDocumentNode {
    var node: Node
    init(_ node: Node) { self.node = node }
    func has(_ key: String) -> Bool {
        if case .mapping(let mapping) = node { return mapping.contains { $0.key.scalar?.string == key } }
        return false
    }
    mutating func set(_ key: String, _ text: String) {
        guard case .mapping(let mapping) = node else { return }
        let pairs = mapping.map { ($0.key, $0.key.scalar?.string == key ? Node(text) : $0.value) }
        node = .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
    }
}

extension Shrinker.Size {
    /// Fewer tasks first, then fewer workers, slots, faults, then a shorter run.
    func isSmaller(than other: Shrinker.Size) -> Bool {
        (tasks, workers, slots, faults, duration.microseconds) < (other.tasks, other.workers, other.slots, other.faults, other.duration.microseconds)
    }
}
