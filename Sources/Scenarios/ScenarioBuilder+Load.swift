import WorkerCore
import Yams

/// The `load:` section: arrival process, phases (each with an optional mix), bursts and the task
/// mix, or a trace file (ScenarioBuilder+Trace.swift) in place of phases, mix and arrival.
extension ScenarioBuilder {
    func readLoad(_ node: Node, duration: TimeSpan?, tasks: Names) -> LoadSpec? {
        guard let fields = reader.fields(node, "load", allowed: ["arrival", "phases", "bursts", "mix", "trace"]) else { return nil }
        var load = LoadSpec()
        if let node = fields["bursts"] {
            load.bursts = readBursts(node, fields.path("bursts"), duration: duration, tasks: tasks)
        }
        if let node = fields["trace"] {
            // A trace is the whole steady load: its rows say when and which task, so nothing may draw them.
            for key in ["phases", "mix", "arrival"] {
                guard let entry = fields.entry(key) else { continue }
                reader.fail(entry.keyNode, fields.path(key), expected: "either trace or \(key)", found: "both",
                            message: "trace and \(key) are both given; a trace replaces phases, mix and arrival (bursts may stay)")
            }
            if let index = load.bursts.firstIndex(where: { $0.task == nil }), let list = fields["bursts"],
               case let .sequence(items) = list, index < items.count {
                reader.fail(items[index], KeyPathText.index(fields.path("bursts"), index), expected: "a burst that names its task",
                            found: "", message: "a burst beside a trace names its task (there is no mix to draw it from)")
            }
            load.trace = readTrace(node, fields.path("trace"), duration: duration, tasks: tasks)
            return load
        }
        if let node = fields["arrival"], let word = reader.choice(node, fields.path("arrival"), ["poisson", "even"]),
           let arrival = ArrivalProcess(rawValue: word) {
            load.arrival = arrival
        }
        var everyPhaseHasMix = false
        if let node = reader.required(fields, "phases", what: "a list of load phases") {
            load.phases = readPhases(node, fields.path("phases"), duration: duration, tasks: tasks)
            // Judged on the file, not on the phases read, so a phase dropped for a bad mix does not
            // also report the load's mix as missing.
            if case let .sequence(items) = node, !items.isEmpty {
                everyPhaseHasMix = items.allSatisfy { item in
                    guard case let .mapping(mapping) = item else { return false }
                    return mapping.contains { $0.key.scalar?.string == "mix" }
                }
            }
        }
        if let node = fields["mix"] {
            load.mix = readMix(node, fields.path("mix"), tasks: tasks)
        } else if tasks.complete && tasks.list.count == 1 {
            load.mix = [MixEntry(task: tasks.list[0], weight: 1)]
        } else if tasks.complete && tasks.list.count > 1 && !everyPhaseHasMix {
            reader.fail(fields.node, fields.path("mix"), expected: "a mix", found: "",
                        message: "missing required key \"mix\" (task weights, needed when there is more than one task "
                                 + "and not every phase has its own mix)")
        }
        return load
    }

    func readPhases(_ node: Node, _ path: String, duration: TimeSpan?, tasks: Names) -> [LoadPhase] {
        guard let items = reader.list(node, path, expected: "a list of load phases") else { return [] }
        if items.isEmpty {
            reader.fail(node, path, expected: "at least one load phase ({duration, rate} or {duration, ramp})",
                        found: "an empty list")
            return []
        }
        var phases: [LoadPhase] = []
        var total = TimeSpan.zero
        var reportedOverflow = false
        for (index, item) in items.enumerated() {
            let itemPath = KeyPathText.index(path, index)
            guard let fields = reader.fields(item, itemPath, allowed: ["duration", "rate", "ramp", "mix"],
                                             expected: "a phase {duration, rate} or {duration, ramp: {from, to}}, with an optional mix")
            else { continue }
            let length = reader.required(fields, "duration", what: "how long the phase lasts")
                .flatMap { reader.duration($0, fields.path("duration"), positive: true) }
            var from: Double?, to: Double?
            switch (fields["rate"], fields["ramp"]) {
            case let (rate?, nil):
                from = reader.rate(rate, fields.path("rate"))
                to = from
            case let (nil, ramp?):
                if let inner = reader.fields(ramp, fields.path("ramp"), allowed: ["from", "to"]) {
                    from = reader.required(inner, "from", what: "the starting rate")
                        .flatMap { reader.rate($0, inner.path("from"), allowZero: true) }
                    to = reader.required(inner, "to", what: "the final rate")
                        .flatMap { reader.rate($0, inner.path("to"), allowZero: true) }
                    if let f = from, let t = to, f == 0, t == 0 {
                        reader.fail(inner["to"], inner.path("to"), expected: "a ramp with a positive rate at one end",
                                    found: "0 to 0")
                        from = nil
                    }
                }
            case (_?, _?):
                let entry = fields.entry("ramp")!
                reader.fail(entry.keyNode, fields.path("ramp"), expected: "either rate or ramp", found: "both",
                            message: "rate and ramp are both given; a phase has one of them")
            case (nil, nil) where fields.unknownKeys.isEmpty:
                reader.fail(fields.node, fields.path("rate"), expected: "rate or ramp", found: "",
                            message: "missing key \"rate\" or \"ramp\" (the phase's publish rate)")
            case (nil, nil):
                break // an unknown key was reported, most likely a misspelt rate or ramp
            }
            if let length {
                total = total + length
                if let duration, total > duration, !reportedOverflow {
                    reportedOverflow = true
                    reader.fail(fields["duration"], fields.path("duration"),
                                expected: "phases that fit in the scenario's duration (\(DurationText.format(duration)))",
                                found: "phases adding up to \(DurationText.format(total))")
                }
            }
            // The phase's own weights replace the load's while it runs; checked as the load's are.
            let mix = fields["mix"].map { readMix($0, fields.path("mix"), tasks: tasks) }
            if let length, let from, let to, mix?.isEmpty != true {
                phases.append(LoadPhase(duration: length, rateFrom: from, rateTo: to, mix: mix))
            }
        }
        return phases
    }

    func readBursts(_ node: Node, _ path: String, duration: TimeSpan?, tasks: Names) -> [Burst] {
        guard let items = reader.list(node, path, expected: "a list of bursts {at, count, task}") else { return [] }
        var bursts: [Burst] = []
        for (index, item) in items.enumerated() {
            let itemPath = KeyPathText.index(path, index)
            guard let fields = reader.fields(item, itemPath, allowed: ["at", "count", "task"],
                                             expected: "a burst {at, count, task}") else { continue }
            var at = reader.required(fields, "at", what: "when the burst is published")
                .flatMap { reader.duration($0, fields.path("at")) }
            if let value = at, let duration, value > duration, let node = fields["at"] {
                reader.fail(node, fields.path("at"),
                            expected: "a time within the load's duration (\(DurationText.format(duration)))", node)
                at = nil
            }
            let count = reader.required(fields, "count", what: "how many tasks are published")
                .flatMap { reader.int($0, fields.path("count"), in: 1...100_000_000, expected: "a positive integer") }
            var task: String?
            var taskOK = true
            if let node = fields["task"] {
                task = reader.string(node, fields.path("task"), expected: "a task name")
                if let name = task, tasks.complete, !tasks.list.contains(name) {
                    reader.fail(node, fields.path("task"),
                                expected: "a task declared in tasks (\(tasks.list.joined(separator: ", ")))",
                                found: "unknown task \(quoted(name))" + NearestName.hint(for: name, among: tasks.list))
                    taskOK = false
                }
                if task == nil { taskOK = false }
            }
            if let at, let count, taskOK { bursts.append(Burst(at: at, count: count, task: task)) }
        }
        return bursts
    }

    func readMix(_ node: Node, _ path: String, tasks: Names) -> [MixEntry] {
        guard case let .mapping(mapping) = node else {
            reader.fail(node, path, expected: "a mapping of task name to weight", node)
            return []
        }
        if mapping.isEmpty {
            reader.fail(node, path, expected: "at least one task with a weight", found: "an empty mapping")
            return []
        }
        var mix: [MixEntry] = []
        for (keyNode, value) in mapping {
            guard let name = reader.string(keyNode, path, expected: "a task name") else { continue }
            let entryPath = KeyPathText.child(path, name)
            if tasks.complete && !tasks.list.contains(name) {
                reader.fail(keyNode, entryPath, expected: "a task declared in tasks (\(tasks.list.joined(separator: ", ")))",
                            found: "unknown task \(quoted(name))" + NearestName.hint(for: name, among: tasks.list))
                continue
            }
            if let weight = reader.number(value, entryPath, expected: "a positive weight", isValid: { $0 > 0 }) {
                mix.append(MixEntry(task: name, weight: weight))
            }
        }
        return mix
    }
}
