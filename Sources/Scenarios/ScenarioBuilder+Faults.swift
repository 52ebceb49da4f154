import WorkerCore
import Yams

/// The `faults:` section: instant worker faults and timed broker, slowness and memory-pressure windows.
extension ScenarioBuilder {
    static let instantFaults = ["kill_worker", "restart_worker", "stop_worker"] + beatFaults
    static let windowFaults = ["broker_outage", "broker_latency", "slow_tasks", "memory_pressure"]

    /// - Parameter beats: the beats the schedule starts with (nil: no `schedule:`, so no beat faults).
    func readFaults(_ node: Node, runLength: TimeSpan?, workers: [WorkerGroupSpec]?, tasks: Names, beats: Int? = nil) -> [FaultSpec] {
        guard let items = reader.list(node, "faults", expected: "a list of faults") else { return [] }
        var faults: [FaultSpec] = []
        var beatFaults = BeatFaultCheck(initialBeats: beats)
        let kinds = Self.instantFaults + Self.windowFaults
        for (index, item) in items.enumerated() {
            let path = KeyPathText.index("faults", index)
            guard let fields = reader.fields(item, path, allowed: ["at", "from", "to", "down_for"] + kinds,
                                             expected: "a fault mapping like {at: 3m, kill_worker: worker-1}")
            else { continue }
            let kindEntries = fields.entries.filter { kinds.contains($0.key) }
            guard let kindEntry = kindEntries.first else {
                if !fields.unknownKeys.isEmpty { continue }
                reader.fail(fields.node, path, expected: "one fault kind (\(kinds.joined(separator: ", ")))", found: "",
                            message: "missing the fault kind: one of \(kinds.joined(separator: ", "))")
                continue
            }
            if kindEntries.count > 1 {
                let extra = kindEntries[1]
                reader.fail(extra.keyNode, fields.path(extra.key), expected: "exactly one fault kind per entry",
                            found: "both \(quoted(kindEntry.key)) and \(quoted(extra.key))")
                continue
            }
            let kindPath = fields.path(kindEntry.key)
            let instant = Self.instantFaults.contains(kindEntry.key)
            if kindEntry.key != "restart_beat", let downFor = fields.entry("down_for") {
                reader.fail(downFor.keyNode, fields.path("down_for"), expected: "down_for only with restart_beat",
                            found: "down_for with \(kindEntry.key)", message: "down_for is how long a restart_beat keeps the beat down; \(kindEntry.key) takes none")
            }

            // Timing.
            var start: TimeSpan?
            var end: TimeSpan?
            var timingOK = true
            if instant {
                let misplaced = ["from", "to"].filter { fields.has($0) }
                for key in misplaced {
                    reader.fail(fields.entry(key)!.keyNode, fields.path(key), expected: "`at:` for \(kindEntry.key)",
                                found: "`\(key):`", message: "\(kindEntry.key) happens at an instant: use `at:`, not `\(key):`")
                    timingOK = false
                }
                if misplaced.isEmpty || fields.has("at") {
                    start = reader.required(fields, "at", what: "when the fault happens")
                        .flatMap { reader.duration($0, fields.path("at")) }
                }
            } else {
                if fields.has("at") {
                    reader.fail(fields.entry("at")!.keyNode, fields.path("at"),
                                expected: "`from:` and `to:` for \(kindEntry.key)",
                                found: "`at:`", message: "\(kindEntry.key) lasts a while: use `from:` and `to:`, not `at:`")
                    timingOK = false
                }
                if !fields.has("at") || fields.has("from") || fields.has("to") {
                    start = reader.required(fields, "from", what: "when the fault window starts")
                        .flatMap { reader.duration($0, fields.path("from")) }
                    end = reader.required(fields, "to", what: "when the fault window ends")
                        .flatMap { reader.duration($0, fields.path("to")) }
                }
                if let s = start, let e = end, e <= s, let node = fields["to"] {
                    reader.fail(node, fields.path("to"), expected: "an end after from (\(DurationText.format(s)))", node)
                    timingOK = false
                }
                if end == nil { timingOK = false }
            }
            if let s = start, let runLength, s > runLength {
                let key = instant ? "at" : "from"
                reader.fail(fields[key], fields.path(key),
                            expected: "a time within the run (duration + drain = \(DurationText.format(runLength)))",
                            found: DurationText.format(s))
                timingOK = false
            }

            // Kind.
            let kind: FaultKind?
            let value = kindEntry.value
            switch kindEntry.key {
            case "kill_worker", "restart_worker", "stop_worker":
                if let worker = readWorkerName(value, kindPath, workers: workers) {
                    kind = kindEntry.key == "kill_worker" ? .killWorker(worker)
                        : kindEntry.key == "restart_worker" ? .restartWorker(worker) : .stopWorker(worker)
                } else { kind = nil }
            case "broker_outage":
                if value.tagName == .bool, value.bool == true {
                    kind = .brokerOutage
                } else {
                    reader.fail(value, kindPath, expected: "true", value)
                    kind = nil
                }
            case "broker_latency":
                kind = reader.duration(value, kindPath, positive: true, subSecondUnit: "ms").map(FaultKind.brokerLatency)
            case "slow_tasks":
                kind = readSlowTasks(value, kindPath, tasks: tasks)
            case "kill_beat", "restart_beat", "start_beat":
                kind = readBeatFault(kindEntry.key, value, kindPath, fields: fields, at: start, check: &beatFaults)
            default: // memory_pressure
                kind = readMemoryPressure(value, kindPath, workers: workers)
            }
            if let start, let kind, timingOK {
                faults.append(FaultSpec(start: start, end: end, kind: kind))
            }
        }
        checkBeatReferences(beatFaults)
        return faults
    }

    static func workerNames(_ groups: [WorkerGroupSpec]) -> String {
        groups.map { $0.count == 1 ? "\($0.name)-1" : "\($0.name)-1..\($0.name)-\($0.count)" }.joined(separator: ", ")
    }

    func readWorkerName(_ node: Node, _ path: String, workers: [WorkerGroupSpec]?) -> String? {
        guard let name = reader.string(node, path, expected: "a worker name like worker-1") else { return nil }
        guard let workers else { return name }
        let exists = workers.contains { group in
            guard name.hasPrefix(group.name + "-"), let number = Int(name.dropFirst(group.name.count + 1)),
                  String(number) == String(name.dropFirst(group.name.count + 1)) else { return false }
            return (1...group.count).contains(number)
        }
        guard exists else {
            reader.fail(node, path, expected: "a worker of the fleet (\(Self.workerNames(workers)))",
                        found: "unknown worker \(quoted(name))")
            return nil
        }
        return name
    }

    func readSlowTasks(_ node: Node, _ path: String, tasks: Names) -> FaultKind? {
        guard let fields = reader.fields(node, path, allowed: ["factor", "task"]) else { return nil }
        let factor = reader.required(fields, "factor", what: "how many times longer tasks run")
            .flatMap { reader.number($0, fields.path("factor"), expected: "a positive factor", isValid: { $0 > 0 }) }
        var pattern = "*"
        if let node = fields["task"] {
            guard let text = reader.string(node, fields.path("task"), expected: "a task name or glob") else { return nil }
            if tasks.complete && !tasks.list.contains(where: { Glob.matches(pattern: text, $0) }) {
                reader.fail(node, fields.path("task"),
                            expected: "a task name or glob matching a declared task (\(tasks.list.joined(separator: ", ")))",
                            found: "unknown task \(quoted(text))" + NearestName.hint(for: text, among: tasks.list))
                return nil
            }
            pattern = text
        }
        guard let factor else { return nil }
        return .slowTasks(factor: factor, taskPattern: pattern)
    }

    func readMemoryPressure(_ node: Node, _ path: String, workers: [WorkerGroupSpec]?) -> FaultKind? {
        guard let fields = reader.fields(node, path, allowed: ["extra", "worker"]) else { return nil }
        let extra = reader.required(fields, "extra", what: "the extra memory each child holds")
            .flatMap { reader.size($0, fields.path("extra"), positive: true) }
        var pattern = "*"
        if let node = fields["worker"] {
            guard let text = reader.string(node, fields.path("worker"), expected: "a worker name or glob") else { return nil }
            if let workers {
                let all = workers.flatMap { group in (1...group.count).map { "\(group.name)-\($0)" } }
                if !all.contains(where: { Glob.matches(pattern: text, $0) }) {
                    reader.fail(node, fields.path("worker"),
                                expected: "a worker name or glob matching the fleet (\(Self.workerNames(workers)))",
                                found: "unknown worker \(quoted(text))")
                    return nil
                }
            }
            pattern = text
        }
        guard let extra else { return nil }
        return .memoryPressure(bytes: extra, workerPattern: pattern)
    }
}
