import Scenarios
import WorkerCore

/// One change a shrink may try: a description for the report and the edit of the file.
struct Candidate {
    var description: String
    var edit: (inout ScenarioDocument) -> Void
}

/// The changes worth trying on a scenario, biggest first: whole faults, bursts, task types, phases
/// and worker groups go before halvings, halvings before decrements. Each strictly lowers
/// something, so repeating until none is kept ends.
enum Candidates {
    static let shortestRun = TimeSpan.seconds(1)

    static func all(for document: ScenarioDocument, scenario: Scenario, keepDrain: Bool) -> [Candidate] {
        var out: [Candidate] = []
        typealias Path = [ScenarioDocument.Step]
        func halve(_ path: Path, _ what: String, _ span: TimeSpan, floor: TimeSpan = shortestRun) {
            guard span > floor else { return }
            let half = TimeSpan(microseconds: max(floor.microseconds, span.microseconds / 2))
            out.append(Candidate(description: "\(what) \(DurationText.format(span)) → \(DurationText.format(half))") { $0.set(path, DurationText.format(half)) })
        }
        func lower(_ path: Path, _ what: String, _ value: Int, to floor: Int) {
            guard value > floor else { return }
            for target in Set([floor, value / 2, value - 1]).sorted() where target >= floor && target < value {
                out.append(Candidate(description: "\(what) \(value) → \(target)") { $0.set(path, String(target)) })
            }
        }

        // Whole entries first.
        for index in scenario.faults.indices.reversed() {
            out.append(Candidate(description: "removed faults[\(index)] (\(scenario.faults[index].kind.swarmKind) at \(DurationText.format(scenario.faults[index].start)))") {
                if $0.count([.key("faults")]) <= 1 { $0.remove([.key("faults")]) } else { $0.remove([.key("faults"), .index(index)]) }
            })
        }
        for index in scenario.load.bursts.indices.reversed() {
            out.append(Candidate(description: "removed load.bursts[\(index)] (\(scenario.load.bursts[index].count) tasks)") {
                if $0.count([.key("load"), .key("bursts")]) <= 1 { $0.remove([.key("load"), .key("bursts")]) } else { $0.remove([.key("load"), .key("bursts"), .index(index)]) }
            })
        }
        if scenario.tasks.count > 1 {
            // A trace's rows cannot be edited away, so the task types they publish stay.
            for (index, task) in scenario.tasks.enumerated().reversed() where scenario.load.trace?.taskNames.contains(task.name) != true {
                out.append(Candidate(description: "removed task type \(task.name)") { document in
                    document.remove([.key("tasks"), .index(index)])
                    document.remove([.key("load"), .key("mix"), .key(task.name)])
                    for phase in scenario.load.phases.indices where scenario.load.phases[phase].mix != nil {
                        document.remove([.key("load"), .key("phases"), .index(phase), .key("mix"), .key(task.name)])
                    }
                    for burst in scenario.load.bursts.indices.reversed() where scenario.load.bursts[burst].task == task.name {
                        document.remove([.key("load"), .key("bursts"), .index(burst)])
                    }
                })
            }
        }
        if scenario.load.phases.count > 1 {
            for index in scenario.load.phases.indices.reversed() {
                out.append(Candidate(description: "removed load.phases[\(index)]") { $0.remove([.key("load"), .key("phases"), .index(index)]) })
            }
        }
        if scenario.fleet.count > 1 {
            for index in scenario.fleet.indices.reversed() {
                out.append(Candidate(description: "removed worker group \(scenario.fleet[index].name)") { $0.remove([.key("fleet"), .index(index)]) })
            }
        }
        // Then fewer tasks, workers and slots.
        for (index, burst) in scenario.load.bursts.enumerated() {
            lower([.key("load"), .key("bursts"), .index(index), .key("count")], "load.bursts[\(index)].count", burst.count, to: 1)
        }
        for (index, phase) in scenario.load.phases.enumerated() {
            halve([.key("load"), .key("phases"), .index(index), .key("duration")], "load.phases[\(index)].duration", phase.duration)
        }
        for (index, group) in scenario.fleet.enumerated() {
            let path: Path = [.key("fleet"), .index(index)]
            if group.scaler == nil {
                lower(path + [.key("count")], "fleet[\(index)].count", group.count, to: 1)
            } else if let scaler = group.scaler {
                lower(path + [.key("scaler"), .key("max_replicas")], "fleet[\(index)].scaler.max_replicas", scaler.maxReplicas, to: max(1, scaler.minReplicas, group.count))
            }
            if let autoscale = group.autoscale {
                lower(path + [.key("autoscale"), .key("max")], "fleet[\(index)].autoscale.max", autoscale.maxConcurrency, to: max(1, autoscale.minConcurrency))
            } else {
                lower(path + [.key("concurrency")], "fleet[\(index)].concurrency", group.concurrency, to: 1)
            }
            lower(path + [.key("prefetch_multiplier")], "fleet[\(index)].prefetch_multiplier", group.prefetchMultiplier, to: 1)
        }
        // Then a shorter run and fewer chances.
        halve([.key("duration")], "duration", scenario.duration)
        if !keepDrain { halve([.key("drain")], "drain", scenario.drain, floor: .zero) }
        for (index, task) in scenario.tasks.enumerated() {
            for (key, chance) in [("failure", task.body.failureProbability), ("hang", task.body.hangProbability), ("crash", task.body.crashProbability)] where chance > 0 {
                out.append(Candidate(description: "removed \(task.name)'s \(key) chance (\(chance))") { $0.remove([.key("tasks"), .index(index), .key(key)]) })
            }
        }
        return out
    }
}
