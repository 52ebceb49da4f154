import WorkerCore
import Yams

/// The `controls:` section: operator actions at set times, the commands of `celery control`
/// (celery/worker/control.py) with their arguments checked here, before anything runs.
extension ScenarioBuilder {
    /// Each command and the argument keys it takes (the `command` key aside).
    static let controlCommands: [(name: String, keys: [String])] = [
        ("pool_grow", ["n"]), ("pool_shrink", ["n"]), ("autoscale", ["max", "min"]),
        ("rate_limit", ["task", "rate"]), ("time_limit", ["task", "soft", "hard"]),
        ("revoke", ["task_index", "queued", "terminate", "signal"]),
        ("add_consumer", ["queue"]), ("cancel_consumer", ["queue"]),
        ("enable_events", []), ("disable_events", []), ("shutdown", []),
    ]

    /// The context the checks need: what the run is long, which workers, tasks and queues exist.
    struct ControlContext {
        var runLength: TimeSpan?
        var workers: [WorkerGroupSpec]?
        var tasks: Names
        /// Every queue the scenario names (consumed, routed to, a task's own, unconsumed); nil when
        /// the fleet or tasks could not be read, so queue checks are skipped rather than cascading.
        var queues: [String]?
    }

    func readControls(_ node: Node, context: ControlContext) -> [ScheduledControl] {
        guard let items = reader.list(node, "controls", expected: "a list of controls like "
                                      + "{at: 5m, control: {command: pool_grow, n: 4}}") else { return [] }
        var controls: [ScheduledControl] = []
        for (index, item) in items.enumerated() {
            let path = KeyPathText.index("controls", index)
            guard let fields = reader.fields(item, path, allowed: ["at", "control", "destination"],
                                             expected: "a control mapping like {at: 5m, control: {command: pool_grow, n: 4}}")
            else { continue }
            var at = reader.required(fields, "at", what: "when the operator acts, like 5m")
                .flatMap { reader.duration($0, fields.path("at")) }
            if let value = at, let runLength = context.runLength, value > runLength {
                reader.fail(fields["at"], fields.path("at"),
                            expected: "a time within the run (duration + drain = \(DurationText.format(runLength)))",
                            found: DurationText.format(value))
                at = nil
            }
            var destination: [String]? = nil
            var destinationOK = true
            if let node = fields["destination"] {
                destination = readDestination(node, fields.path("destination"), workers: context.workers)
                destinationOK = destination != nil
            }
            let command = reader.required(fields, "control", what: "the command, like {command: pool_grow, n: 4}")
                .flatMap { readControlCommand($0, fields.path("control"), context: context) }
            if let at, let command, destinationOK {
                controls.append(ScheduledControl(at: at, destination: destination, command: command,
                                                 line: item.mark?.line ?? 0))
            }
        }
        return controls
    }

    /// A worker name or a list of them, each a worker of the fleet.
    func readDestination(_ node: Node, _ path: String, workers: [WorkerGroupSpec]?) -> [String]? {
        if case .sequence = node {
            guard let items = reader.list(node, path), !items.isEmpty else {
                reader.fail(node, path, expected: "a worker name or a non-empty list of them", found: "an empty list")
                return nil
            }
            var names: [String] = []
            var ok = true
            for (index, item) in items.enumerated() {
                if let name = readWorkerName(item, KeyPathText.index(path, index), workers: workers) {
                    if !names.contains(name) { names.append(name) }
                } else { ok = false }
            }
            return ok ? names : nil
        }
        return readWorkerName(node, path, workers: workers).map { [$0] }
    }

    func readControlCommand(_ node: Node, _ path: String, context: ControlContext) -> ScenarioControl? {
        let allKeys = ["command"] + Self.controlCommands.flatMap(\.keys).reduce(into: [String]()) { keys, key in
            if !keys.contains(key) { keys.append(key) }
        }
        guard let fields = reader.fields(node, path, allowed: allKeys,
                                         expected: "a mapping like {command: pool_grow, n: 4}") else { return nil }
        let names = Self.controlCommands.map(\.name)
        guard let name = reader.required(fields, "command", what: "one of " + names.joined(separator: ", "))
            .flatMap({ reader.choice($0, fields.path("command"), names) }) else { return nil }
        let keys = Self.controlCommands.first { $0.name == name }!.keys
        var ok = true
        for entry in fields.entries where entry.key != "command" && !keys.contains(entry.key) {
            reader.fail(entry.keyNode, fields.path(entry.key),
                        expected: keys.isEmpty ? "no arguments for \(name)" : "one of \(keys.joined(separator: ", "))",
                        found: "\(quoted(entry.key))",
                        message: "\(name) takes " + (keys.isEmpty ? "no arguments" : "only " + keys.joined(separator: ", "))
                            + ", not \(quoted(entry.key))")
            ok = false
        }
        guard ok else { return nil }

        func count(_ key: String, default value: Int?, minimum: Int) -> Int? {
            guard let node = fields[key] else {
                if value == nil { _ = reader.required(fields, key, what: "an integer of at least \(minimum)") }
                return value
            }
            return reader.int(node, fields.path(key), in: minimum...100_000, expected: "an integer of at least \(minimum)")
        }
        func task(_ key: String) -> String? {
            guard let node = reader.required(fields, key, what: "a declared task name") else { return nil }
            return readTaskName(node, fields.path(key), tasks: context.tasks)
        }
        func queue() -> String? {
            guard let node = reader.required(fields, "queue", what: "a queue name") else { return nil }
            guard let text = reader.string(node, fields.path("queue"), expected: "a queue name") else { return nil }
            if let queues = context.queues, !queues.contains(text) {
                reader.fail(node, fields.path("queue"),
                            expected: "a queue the scenario names (\(queues.map(quoted).joined(separator: ", ")))",
                            found: "unknown queue \(quoted(text))" + NearestName.hint(for: text, among: queues))
                return nil
            }
            return text
        }

        switch name {
        case "pool_grow": return count("n", default: 1, minimum: 1).map { .control(.poolGrow($0)) }
        case "pool_shrink": return count("n", default: 1, minimum: 1).map { .control(.poolShrink($0)) }
        case "autoscale":
            let max = count("max", default: nil, minimum: 1)
            let min = count("min", default: 0, minimum: 0)
            guard let max, let min else { return nil }
            if min > max {
                reader.fail(fields["min"], fields.path("min"), expected: "at most max (\(max))", found: String(min))
                return nil
            }
            return .control(.autoscale(max: max, min: min))
        case "rate_limit":
            let taskName = task("task")
            var rate: String?
            if let node = reader.required(fields, "rate", what: "a rate limit like 10/s, 100/m, or 0 for none") {
                if case .scalar = node, node.tagName != .bool, let text = node.scalarText,
                   RateLimit.parse(text) != nil || text == "0" {
                    rate = text
                } else {
                    reader.fail(node, fields.path("rate"), expected: "a rate limit like 10/s, 100/m, or 0 for none", node)
                }
            }
            guard let taskName, let rate else { return nil }
            return .control(.rateLimit(taskName: taskName, rate: rate))
        case "time_limit":
            let taskName = task("task")
            let soft = fields["soft"].flatMap { reader.duration($0, fields.path("soft"), positive: true) }
            let hard = fields["hard"].flatMap { reader.duration($0, fields.path("hard"), positive: true) }
            if (fields["soft"] != nil && soft == nil) || (fields["hard"] != nil && hard == nil) { return nil }
            if soft == nil && hard == nil {
                reader.fail(fields.node, fields.path("soft"), expected: "soft, hard or both", found: "",
                            message: "time_limit needs a soft or a hard limit (or both), like {soft: 30s, hard: 60s}")
                return nil
            }
            if let soft, let hard, soft >= hard {
                reader.fail(fields["soft"], fields.path("soft"),
                            expected: "a soft limit below hard (\(DurationText.format(hard)))", found: DurationText.format(soft))
                return nil
            }
            guard let taskName else { return nil }
            return .control(.timeLimit(taskName: taskName, soft: soft.map(\.seconds), hard: hard.map(\.seconds)))
        case "revoke":
            var terminate = false
            if let node = fields["terminate"] {
                guard let value = reader.bool(node, fields.path("terminate")) else { return nil }
                terminate = value
            }
            if let node = fields["signal"] {
                reader.fail(node, fields.path("signal"), expected: "no signal (SIGTERM is what a scenario models)", node)
                return nil
            }
            switch (fields["task_index"], fields["queued"]) {
            case let (index?, nil):
                return reader.int(index, fields.path("task_index"), in: 0...Int.max, expected: "a non-negative arrival index")
                    .map { .revokeArrival(index: $0, terminate: terminate) }
            case let (nil, queued?):
                return readTaskName(queued, fields.path("queued"), tasks: context.tasks)
                    .map { .revokeQueued(taskName: $0, terminate: terminate) }
            case (_?, _?):
                reader.fail(fields.entry("queued")!.keyNode, fields.path("queued"), expected: "task_index or queued, not both",
                            found: "both", message: "revoke takes task_index or queued, not both")
                return nil
            case (nil, nil):
                reader.fail(fields.node, fields.path("task_index"), expected: "task_index or queued", found: "",
                            message: "revoke needs task_index (an arrival, 0-based) or queued (a task name)")
                return nil
            }
        case "add_consumer": return queue().map { .control(.addConsumer(queue: $0)) }
        case "cancel_consumer": return queue().map { .control(.cancelConsumer(queue: $0)) }
        case "enable_events": return .control(.enableEvents)
        case "disable_events": return .control(.disableEvents)
        default: return .control(.shutdown)
        }
    }

    /// A declared task name (exact: a control names one task, as Celery's do).
    func readTaskName(_ node: Node, _ path: String, tasks: Names) -> String? {
        guard let text = reader.string(node, path, expected: "a task name") else { return nil }
        if tasks.complete && !tasks.list.contains(text) {
            reader.fail(node, path, expected: "a declared task (\(tasks.list.joined(separator: ", ")))",
                        found: "unknown task \(quoted(text))" + NearestName.hint(for: text, among: tasks.list))
            return nil
        }
        return text
    }

    /// Every queue the scenario names, in file order: consumed by a group, a task's own, a route's,
    /// and the declared unconsumed ones.
    static func namedQueues(fleet: [WorkerGroupSpec], tasks: [TaskTypeSpec], routes: [RouteRule],
                            unconsumed: [String]) -> [String] {
        var queues: [String] = []
        func add(_ queue: String) { if !queues.contains(queue) { queues.append(queue) } }
        fleet.forEach { $0.queues.forEach(add) }
        tasks.forEach { if let queue = $0.queue { add(queue) } }
        routes.forEach { add($0.queue) }
        unconsumed.forEach(add)
        if queues.isEmpty { add("celery") }
        return queues
    }
}
