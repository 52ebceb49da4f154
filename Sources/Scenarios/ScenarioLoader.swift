#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import WorkerCore
import Yams

/// Reads scenario YAML files into validated `Scenario` values.
///
/// Everything is checked before anything runs: unknown keys, missing keys, types, ranges and
/// cross references (mix, bursts and faults naming task types and workers). All problems are
/// collected; the thrown `ScenarioError` is the first in file order and carries the rest.
public enum ScenarioLoader {
    /// The top-level keys of a scenario file, in the order the documentation lists them.
    public static let topLevelKeys = ["name", "description", "seed", "duration", "drain", "broker", "fleet",
                                      "tasks", "routes", "load", "faults", "assertions"]

    /// Reads and parses the file at `path` (named in messages exactly as given).
    public static func load(path: String) throws(ScenarioError) -> Scenario {
        let text = try readFile(path)
        return try parse(yaml: text, sourcePath: path)
    }

    /// Parses scenario YAML; `sourcePath` names the file in messages and in `Scenario.sourcePath`.
    public static func parse(yaml: String, sourcePath: String) throws(ScenarioError) -> Scenario {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw yamlError(error, file: sourcePath, yaml: yaml)
        }
        guard let root else {
            throw ScenarioError(file: sourcePath, line: 1, column: 1, keyPath: "",
                                expected: "a mapping of scenario settings (name, duration, fleet, tasks, load, ...)",
                                found: "an empty document")
        }
        let reader = Reader(file: sourcePath)
        let scenario = ScenarioBuilder(reader: reader, sourcePath: sourcePath).build(root)
        let errors = reader.errors.enumerated().sorted { lhs, rhs in
            let l = (lhs.element.line ?? 0, lhs.element.column ?? 0, lhs.offset)
            let r = (rhs.element.line ?? 0, rhs.element.column ?? 0, rhs.offset)
            return l < r
        }.map(\.element)
        if var first = errors.first {
            first.additional = Array(errors.dropFirst())
            throw first
        }
        guard let scenario else {
            // Every path that returns nil records an error first; this is a safety net.
            throw ScenarioError(file: sourcePath, line: 1, column: 1, keyPath: "", expected: "a valid scenario",
                                found: "", message: "the scenario could not be read")
        }
        return scenario
    }

    static func readFile(_ path: String) throws(ScenarioError) -> String {
        func failure(_ reason: String) -> ScenarioError {
            ScenarioError(file: path, line: nil, column: nil, keyPath: "", expected: "a readable file",
                          found: reason, message: "cannot read \(path): \(reason)")
        }
        guard let handle = fopen(path, "rb") else {
            throw failure(String(cString: strerror(errno)))
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
            if count > 0 { bytes += buffer[0..<count] }
            if count < buffer.count {
                if ferror(handle) != 0 { throw failure(String(cString: strerror(errno))) }
                break
            }
        }
        // Decoding replaces invalid sequences, so a round trip that changes the bytes means invalid UTF-8.
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.elementsEqual(bytes) else {
            throw failure("the file is not UTF-8 text")
        }
        return text
    }

    static func yamlError(_ error: any Error, file: String, yaml: String) -> ScenarioError {
        func make(_ mark: (line: Int, column: Int)?, _ problem: String, _ context: YamlError.Context?) -> ScenarioError {
            var message = "invalid YAML: \(problem)"
            if let context, !context.text.isEmpty {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return ScenarioError(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, keyPath: "",
                                 expected: "valid YAML", found: problem, message: message)
        }
        guard let yamlError = error as? YamlError else {
            return make(nil, "\(error)", nil)
        }
        switch yamlError {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return make((mark.line, mark.column), problem, context)
        case let .reader(problem, offset, _, _):
            var line = 1, column = 1
            if let offset {
                for byte in yaml.utf8.prefix(offset) {
                    if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
                }
            }
            return make((line, column), problem, nil)
        case let .duplicatedKeysInMapping(duplicates, context):
            // Yams marks the first occurrence; point at the repetition when it can be found.
            let first = (line: context.mark.line, column: context.mark.column)
            let key = duplicates.first ?? ""
            let repeated = repetition(of: key, after: first, in: yaml) ?? first
            let keys = duplicates.map(quoted).joined(separator: ", ")
            let message = repeated == first ? "duplicate key \(keys) in one mapping"
                : "duplicate key \(keys) in one mapping (first written at line \(first.line))"
            return ScenarioError(file: file, line: repeated.line, column: repeated.column, keyPath: "",
                                 expected: "each key once in a mapping", found: "duplicate key \(keys)",
                                 message: message)
        default:
            return make(nil, "\(yamlError)", nil)
        }
    }

    /// Where `key` is written again as a key of the same mapping after its first occurrence at `first`:
    /// in block style at the same column on a later line, in flow style after a `,` on the way.
    static func repetition(of key: String, after first: (line: Int, column: Int), in yaml: String)
        -> (line: Int, column: Int)? {
        guard !key.isEmpty else { return nil }
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        let keyScalars = Array(key.unicodeScalars)
        func isKey(at index: Int, in line: [Unicode.Scalar]) -> Bool {
            guard index + keyScalars.count <= line.count, Array(line[index..<index + keyScalars.count]) == keyScalars
            else { return false }
            var next = index + keyScalars.count
            while next < line.count, line[next] == " " { next += 1 }
            return next < line.count && line[next] == ":"
        }
        guard first.line >= 1, first.line <= lines.count else { return nil }
        // Flow style: later on the same line, after a comma.
        let firstLine = lines[first.line - 1]
        var index = first.column - 1 + keyScalars.count
        var afterComma = false
        while index < firstLine.count {
            let scalar = firstLine[index]
            if scalar == "," { afterComma = true } else if scalar != " " {
                if afterComma && isKey(at: index, in: firstLine) { return (first.line, index + 1) }
                afterComma = false
            }
            index += 1
        }
        // Block style: a later line of the same mapping with the key at the same column.
        let column = first.column - 1
        for lineIndex in first.line..<lines.count {
            let line = lines[lineIndex]
            guard let firstText = line.firstIndex(where: { $0 != " " }), line[firstText] != "#" else { continue }
            if firstText < column { return nil } // the mapping ended (a new list item, a parent key...)
            if firstText == column, isKey(at: column, in: line) { return (lineIndex + 1, column + 1) }
        }
        return nil
    }
}

/// Turns the composed tree into a `Scenario`, recording problems in the reader.
struct ScenarioBuilder {
    let reader: Reader
    let sourcePath: String

    /// Task names as declared (nil entries were unnamed); `complete` is false when some task could not
    /// be named, so cross-reference checks are skipped rather than cascading.
    struct Names {
        var list: [String] = []
        var complete = true
    }

    func build(_ root: Node) -> Scenario? {
        guard case .mapping = root else {
            reader.fail(root, "", expected: "a mapping of scenario settings (name, duration, fleet, tasks, load, ...)"
                            + " at the top of the file", root)
            return nil
        }
        guard let top = reader.fields(root, "", allowed: ScenarioLoader.topLevelKeys) else { return nil }

        let name = reader.required(top, "name", what: "the scenario's name").flatMap { reader.string($0, "name") }
        let description = top["description"].flatMap { reader.string($0, "description", allowEmpty: true) } ?? ""
        var seed: UInt64 = 1
        if let node = top["seed"], let value = reader.int(node, "seed", in: 0...Int.max, expected: "a non-negative integer") {
            seed = UInt64(value)
        }
        let duration = reader.required(top, "duration", what: "how long load is generated, like 10m")
            .flatMap { reader.duration($0, "duration", positive: true) }
        var drain = TimeSpan(microseconds: 600_000_000)
        if let node = top["drain"], let value = reader.duration(node, "drain") { drain = value }

        var broker = BrokerSpec()
        if let node = top["broker"] { broker = readBroker(node) ?? broker }

        var fleet: [WorkerGroupSpec] = []
        var fleetComplete = false
        if let node = reader.required(top, "fleet", what: "a list of worker groups") {
            (fleet, fleetComplete) = readFleet(node)
        }

        var tasks: [TaskTypeSpec] = []
        var names = Names(complete: false)
        if let node = reader.required(top, "tasks", what: "a list of task types") {
            (tasks, names) = readTasks(node)
        }

        var routes: [RouteRule] = []
        if let node = top["routes"] { routes = readRoutes(node) }

        var load = LoadSpec()
        if let node = reader.required(top, "load", what: "the load: arrival, phases, bursts and mix") {
            load = readLoad(node, duration: duration, tasks: names) ?? load
        }

        let workers = fleetComplete ? fleet : nil
        var faults: [FaultSpec] = []
        if let node = top["faults"] {
            faults = readFaults(node, runLength: duration.map { $0 + drain }, workers: workers, tasks: names)
        }

        var assertions: [Assertion] = []
        if let node = top["assertions"] { assertions = readAssertions(node) }

        guard let name, let duration else { return nil }
        return Scenario(name: name, description: description, seed: seed, duration: duration, drain: drain,
                        broker: broker, fleet: fleet, tasks: tasks, routes: routes, load: load, faults: faults,
                        assertions: assertions, sourcePath: sourcePath)
    }

    // MARK: broker

    func readBroker(_ node: Node) -> BrokerSpec? {
        guard let fields = reader.fields(node, "broker", allowed: ["visibility_timeout", "priority_steps",
                                                                   "queue_order_strategy", "latency", "result_expires"])
        else { return nil }
        var broker = BrokerSpec()
        if let node = fields["visibility_timeout"],
           let value = reader.duration(node, fields.path("visibility_timeout"), positive: true) {
            broker.visibilityTimeout = value
        }
        if let node = fields["priority_steps"] {
            let path = fields.path("priority_steps")
            if let items = reader.list(node, path, expected: "a list of priorities like [0, 3, 6, 9]") {
                var steps: [Int] = []
                var ok = true
                for (index, item) in items.enumerated() {
                    let itemPath = KeyPathText.index(path, index)
                    guard let step = reader.int(item, itemPath, in: 0...9, expected: "a priority from 0 to 9") else {
                        ok = false; continue
                    }
                    if index == 0 && step != 0 {
                        reader.fail(item, itemPath, expected: "priority steps starting at 0", item); ok = false
                    } else if let last = steps.last, step <= last {
                        reader.fail(item, itemPath, expected: "strictly increasing priority steps (after \(last))", item)
                        ok = false
                    }
                    steps.append(step)
                }
                if items.isEmpty {
                    reader.fail(node, path, expected: "at least one priority step (0)", found: "an empty list")
                } else if ok {
                    broker.prioritySteps = steps
                }
            }
        }
        if let node = fields["queue_order_strategy"],
           let word = reader.choice(node, fields.path("queue_order_strategy"), ["round_robin", "priority", "sorted"]),
           let strategy = QueueOrderStrategy(rawValue: word) {
            broker.queueOrderStrategy = strategy
        }
        if let node = fields["latency"], let value = reader.duration(node, fields.path("latency")) {
            broker.latency = value
        }
        if let node = fields["result_expires"], let value = reader.duration(node, fields.path("result_expires")) {
            broker.resultExpires = value
        }
        return broker
    }

    // MARK: fleet

    static let groupKeys = ["name", "count", "concurrency", "autoscale", "prefetch_multiplier", "queues",
                            "acks_late", "reject_on_worker_lost", "acks_on_failure_or_timeout", "track_started",
                            "ignore_result", "time_limit", "soft_time_limit", "max_tasks_per_child",
                            "max_memory_per_child", "child_memory", "child_startup"]

    func readFleet(_ node: Node) -> ([WorkerGroupSpec], Bool) {
        guard let items = reader.list(node, "fleet", expected: "a list of worker groups") else { return ([], false) }
        if items.isEmpty {
            reader.fail(node, "fleet", expected: "at least one worker group", found: "an empty list")
            return ([], false)
        }
        var groups: [WorkerGroupSpec] = []
        var complete = true
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let path = KeyPathText.index("fleet", index)
            guard let group = readGroup(item, path) else { complete = false; continue }
            if let line = seen[group.name] {
                let nameNode = item.mapping?.first { $0.key.scalarText == "name" }?.value ?? item
                reader.fail(nameNode, KeyPathText.child(path, "name"), expected: "a unique worker group name",
                            found: "\(quoted(group.name)), already used by the group at line \(line)")
                complete = false
                continue
            }
            seen[group.name] = item.mark?.line ?? 0
            groups.append(group)
        }
        return (groups, complete)
    }

    func readGroup(_ node: Node, _ path: String) -> WorkerGroupSpec? {
        guard let fields = reader.fields(node, path, allowed: Self.groupKeys, expected: "a worker group (a mapping)")
        else { return nil }
        var group = WorkerGroupSpec()
        var ok = true
        func check<T>(_ value: T?) -> T? { if value == nil { ok = false }; return value }

        if let node = fields["name"] {
            if let name = check(reader.string(node, fields.path("name"))) {
                if name.unicodeScalars.contains(where: { $0 == " " || $0 == "\t" || $0 == "*" }) {
                    reader.fail(node, fields.path("name"), expected: "a group name without spaces or `*`", node)
                    ok = false
                } else {
                    group.name = name
                }
            }
        }
        if let node = fields["count"],
           let count = check(reader.int(node, fields.path("count"), in: 1...100_000, expected: "a positive integer")) {
            group.count = count
        }
        if let node = fields["concurrency"],
           let value = check(reader.int(node, fields.path("concurrency"), in: 1...100_000,
                                        expected: "a positive integer")) {
            group.concurrency = value
        }
        if let node = fields["autoscale"] {
            if fields["concurrency"] != nil {
                let entry = fields.entry("autoscale")!
                reader.fail(entry.keyNode, fields.path("autoscale"), expected: "either concurrency or autoscale",
                            found: "both", message: "concurrency and autoscale are both given; use one of them")
                ok = false
            } else if let autoscale = check(readAutoscale(node, fields.path("autoscale"))) {
                group.autoscale = autoscale
                // With --autoscale, Celery's pool can grow to `max` processes.
                group.concurrency = autoscale.maxConcurrency
            }
        }
        if let node = fields["prefetch_multiplier"],
           let value = check(reader.int(node, fields.path("prefetch_multiplier"), in: 0...100_000,
                                        expected: "a non-negative integer (0 means no prefetch limit)")) {
            group.prefetchMultiplier = value
        }
        if let node = fields["queues"],
           let queues = check(reader.strings(node, fields.path("queues"), expected: "a list of queue names", nonEmpty: true)) {
            var seen: Set<String> = []
            for (index, queue) in queues.enumerated() where !seen.insert(queue).inserted {
                let item = node.sequence.map(Array.init)?[index] ?? node
                reader.fail(item, KeyPathText.index(fields.path("queues"), index), expected: "each queue once",
                            found: "\(quoted(queue)) again")
                ok = false
            }
            group.queues = queues
        }
        var defaults = TaskOptions()
        if let node = fields["acks_late"], let value = check(reader.bool(node, fields.path("acks_late"))) {
            defaults.acksLate = value
        }
        if let node = fields["reject_on_worker_lost"],
           let value = check(reader.bool(node, fields.path("reject_on_worker_lost"))) {
            defaults.rejectOnWorkerLost = value
        }
        if let node = fields["acks_on_failure_or_timeout"],
           let value = check(reader.bool(node, fields.path("acks_on_failure_or_timeout"))) {
            defaults.acksOnFailureOrTimeout = value
        }
        if let node = fields["track_started"], let value = check(reader.bool(node, fields.path("track_started"))) {
            defaults.trackStarted = value
        }
        if let node = fields["ignore_result"], let value = check(reader.bool(node, fields.path("ignore_result"))) {
            defaults.ignoreResult = value
        }
        let (hard, soft) = readTimeLimits(fields)
        defaults.timeLimit = hard
        defaults.softTimeLimit = soft
        group.taskDefaults = defaults

        if let node = fields["max_tasks_per_child"],
           let value = check(reader.int(node, fields.path("max_tasks_per_child"), in: 1...Int.max,
                                        expected: "a positive integer")) {
            group.maxTasksPerChild = value
        }
        if let node = fields["max_memory_per_child"],
           let bytes = check(reader.size(node, fields.path("max_memory_per_child"), positive: true)) {
            if bytes < 1024 {
                reader.fail(node, fields.path("max_memory_per_child"), expected: "at least 1KiB (Celery counts KiB)", node)
                ok = false
            } else {
                group.maxMemoryPerChildKiB = Int(bytes / 1024)
            }
        }
        if let node = fields["child_memory"], let bytes = check(reader.size(node, fields.path("child_memory"))) {
            group.childBaselineMemoryBytes = bytes
        }
        if let node = fields["child_startup"], let span = check(reader.duration(node, fields.path("child_startup"))) {
            group.childStartup = span
        }
        return ok ? group : nil
    }

    /// `time_limit` and `soft_time_limit` of a group or task; the soft limit must be below the hard one.
    func readTimeLimits(_ fields: Fields) -> (TimeSpan?, TimeSpan?) {
        let hard = fields["time_limit"].flatMap { reader.duration($0, fields.path("time_limit"), positive: true) }
        let soft = fields["soft_time_limit"].flatMap { reader.duration($0, fields.path("soft_time_limit"), positive: true) }
        if let hard, let soft, soft >= hard, let node = fields["soft_time_limit"] {
            reader.fail(node, fields.path("soft_time_limit"),
                        expected: "a soft time limit below time_limit (\(DurationText.format(hard)))", node)
            return (hard, nil)
        }
        return (hard, soft)
    }

    /// `{max: 8, min: 2, keepalive: 30s}`, Celery's `"8,2"` or just the maximum.
    func readAutoscale(_ node: Node, _ path: String) -> AutoscaleSettings? {
        var keepalive = TimeSpan(microseconds: 30_000_000)
        if case .mapping = node {
            guard let fields = reader.fields(node, path, allowed: ["max", "min", "keepalive"]) else { return nil }
            let max = reader.required(fields, "max", what: "the largest pool size")
                .flatMap { reader.int($0, fields.path("max"), in: 1...100_000, expected: "a positive integer") }
            var min: Int? = 0
            if let node = fields["min"] {
                min = reader.int(node, fields.path("min"), in: 0...100_000, expected: "a non-negative integer")
            }
            if let node = fields["keepalive"] {
                guard let value = reader.duration(node, fields.path("keepalive"), positive: true) else { return nil }
                keepalive = value
            }
            guard let max, let min else { return nil }
            if min > max, let node = fields["min"] {
                reader.fail(node, fields.path("min"), expected: "a minimum no larger than max (\(max))", node)
                return nil
            }
            return AutoscaleSettings(maxConcurrency: max, minConcurrency: min, keepalive: keepalive)
        }
        let expected = "an autoscale mapping {max, min, keepalive} or \"MAX,MIN\""
        if node.tagName == .int, let max = node.int, max >= 1 {
            return AutoscaleSettings(maxConcurrency: max, minConcurrency: 0, keepalive: keepalive)
        }
        guard node.tagName == .str, let text = node.scalarText else {
            reader.fail(node, path, expected: expected, node)
            return nil
        }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmed(" ") }
        guard (1...2).contains(parts.count), let max = Int(parts[0]), max >= 1,
              let min = parts.count == 2 ? Int(parts[1]) : 0, min >= 0 else {
            reader.fail(node, path, expected: expected, node)
            return nil
        }
        guard min <= max else {
            reader.fail(node, path, expected: "a minimum no larger than the maximum", node)
            return nil
        }
        return AutoscaleSettings(maxConcurrency: max, minConcurrency: min, keepalive: keepalive)
    }

    // MARK: tasks

    static let taskKeys = ["name", "queue", "priority", "countdown", "expires", "acks_late", "reject_on_worker_lost",
                           "acks_on_failure_or_timeout", "track_started", "ignore_result", "time_limit",
                           "soft_time_limit", "rate_limit", "retry", "duration", "failure", "hang", "crash", "memory",
                           "result_size"]

    func readTasks(_ node: Node) -> ([TaskTypeSpec], Names) {
        guard let items = reader.list(node, "tasks", expected: "a list of task types") else {
            return ([], Names(complete: false))
        }
        if items.isEmpty {
            reader.fail(node, "tasks", expected: "at least one task type", found: "an empty list")
            return ([], Names(complete: false))
        }
        var tasks: [TaskTypeSpec] = []
        var names = Names()
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let path = KeyPathText.index("tasks", index)
            guard let fields = reader.fields(item, path, allowed: Self.taskKeys, expected: "a task type (a mapping)") else {
                names.complete = false
                continue
            }
            guard let nameNode = reader.required(fields, "name", what: "the task's registered name"),
                  let name = reader.string(nameNode, fields.path("name")) else {
                names.complete = false
                continue
            }
            if let line = seen[name] {
                reader.fail(nameNode, fields.path("name"), expected: "a unique task name",
                            found: "\(quoted(name)), already used by the task at line \(line)")
                continue
            }
            seen[name] = nameNode.mark?.line ?? 0
            names.list.append(name)
            if let task = readTask(fields, name: name) { tasks.append(task) }
        }
        return (tasks, names)
    }

    func readTask(_ fields: Fields, name: String) -> TaskTypeSpec? {
        var task = TaskTypeSpec(name: name)
        var ok = true
        func check<T>(_ value: T?) -> T? { if value == nil { ok = false }; return value }

        if let node = fields["queue"], let queue = check(reader.string(node, fields.path("queue"))) {
            task.queue = queue
        }
        if let node = fields["priority"],
           let value = check(reader.int(node, fields.path("priority"), in: 0...9, expected: "a priority from 0 to 9")) {
            task.priority = value
        }
        if let node = fields["countdown"], let value = check(reader.duration(node, fields.path("countdown"))) {
            task.countdown = value
        }
        if let node = fields["expires"], let value = check(reader.duration(node, fields.path("expires"), positive: true)) {
            task.expires = value
        }
        var options = TaskOptionsOverride()
        if let node = fields["acks_late"] { options.acksLate = check(reader.bool(node, fields.path("acks_late"))) }
        if let node = fields["reject_on_worker_lost"] {
            options.rejectOnWorkerLost = check(reader.bool(node, fields.path("reject_on_worker_lost")))
        }
        if let node = fields["acks_on_failure_or_timeout"] {
            options.acksOnFailureOrTimeout = check(reader.bool(node, fields.path("acks_on_failure_or_timeout")))
        }
        if let node = fields["track_started"] { options.trackStarted = check(reader.bool(node, fields.path("track_started"))) }
        if let node = fields["ignore_result"] { options.ignoreResult = check(reader.bool(node, fields.path("ignore_result"))) }
        (options.timeLimit, options.softTimeLimit) = readTimeLimits(fields)
        if let node = fields["rate_limit"] {
            let path = fields.path("rate_limit")
            let expected = "a rate limit like 10/s, 100/m or 5/h"
            if case .scalar = node, node.tagName != .bool, let text = node.scalarText, let limit = RateLimit.parse(text) {
                options.rateLimit = limit
            } else {
                reader.fail(node, path, expected: expected, node)
                ok = false
            }
        }
        if let node = fields["retry"] { options.retry = check(readRetry(node, fields.path("retry"))) }
        task.options = options

        var body = TaskBodyModel()
        if let node = fields["duration"], let distribution = check(readDistribution(node, fields.path("duration"))) {
            body.duration = distribution
        }
        if let node = fields["failure"],
           let (probability, error) = check(readChance(node, fields.path("failure"), extraKey: "error")) {
            body.failureProbability = probability
            if let error { body.failureErrorType = error }
        }
        if let node = fields["hang"], let (probability, _) = check(readChance(node, fields.path("hang"), extraKey: nil)) {
            body.hangProbability = probability
        }
        if let node = fields["crash"], let (probability, _) = check(readChance(node, fields.path("crash"), extraKey: nil)) {
            body.crashProbability = probability
        }
        let total = body.failureProbability + body.hangProbability + body.crashProbability
        if total > 1 + 1e-12 {
            let node = fields["crash"] ?? fields["hang"] ?? fields.node
            reader.fail(node, fields.path(fields["crash"] != nil ? "crash" : "hang"),
                        expected: "failure, hang and crash probabilities adding up to at most 1",
                        found: "a total of \((total * 1e9).rounded() / 1e9)")
            ok = false
        }
        if let node = fields["memory"] {
            let path = fields.path("memory")
            if let memory = check(reader.fields(node, path, allowed: ["retained_per_call"])),
               let value = check(reader.required(memory, "retained_per_call", what: "bytes kept after each call")),
               let bytes = check(reader.size(value, memory.path("retained_per_call"))) {
                body.memoryRetainedPerCallBytes = bytes
            }
        }
        if let node = fields["result_size"], let bytes = check(reader.size(node, fields.path("result_size"))) {
            body.resultSizeBytes = bytes
        }
        task.body = body
        return ok ? task : nil
    }

    /// `{probability: 0.05, error: ConnectionError}` or a bare probability.
    func readChance(_ node: Node, _ path: String, extraKey: String?) -> (Double, String?)? {
        if case .scalar = node {
            guard let probability = reader.probability(node, path) else { return nil }
            return (probability, nil)
        }
        let allowed = ["probability"] + (extraKey.map { [$0] } ?? [])
        let expected = "a probability or a mapping {\(allowed.joined(separator: ", "))}"
        guard let fields = reader.fields(node, path, allowed: allowed, expected: expected),
              let value = reader.required(fields, "probability", what: "a probability from 0 to 1"),
              let probability = reader.probability(value, fields.path("probability")) else { return nil }
        var extra: String?
        if let extraKey, let node = fields[extraKey] {
            guard let text = reader.string(node, fields.path(extraKey), expected: "an exception type name") else { return nil }
            extra = text
        }
        return (probability, extra)
    }

    func readRetry(_ node: Node, _ path: String) -> RetryPolicy? {
        guard let fields = reader.fields(node, path, allowed: ["max_retries", "default_retry_delay", "autoretry_for",
                                                               "dont_autoretry_for", "backoff", "backoff_max", "jitter"])
        else { return nil }
        var policy = RetryPolicy()
        var ok = true
        if let entry = fields.entry("max_retries") {
            if entry.value.isNullScalar {
                policy.maxRetries = nil
            } else if let value = reader.int(entry.value, fields.path("max_retries"), in: 0...Int.max,
                                             expected: "a non-negative integer or null (retry forever)") {
                policy.maxRetries = value
            } else { ok = false }
        }
        if let node = fields["default_retry_delay"] {
            if let value = reader.duration(node, fields.path("default_retry_delay")) {
                policy.defaultRetryDelay = value
            } else { ok = false }
        }
        if let node = fields["autoretry_for"] {
            if let value = reader.strings(node, fields.path("autoretry_for"), expected: "a list of exception type names") {
                policy.autoretryFor = value
            } else { ok = false }
        }
        if let node = fields["dont_autoretry_for"] {
            if let value = reader.strings(node, fields.path("dont_autoretry_for"), expected: "a list of exception type names") {
                policy.dontAutoretryFor = value
            } else { ok = false }
        }
        if let node = fields["backoff"] {
            let expected = "true, false or a positive integer backoff factor"
            if node.tagName == .bool, let value = node.bool {
                policy.backoffFactor = value ? 1 : nil
            } else if let factor = reader.int(node, fields.path("backoff"), in: 1...Int(Int32.max), expected: expected) {
                policy.backoffFactor = factor
            } else { ok = false }
        }
        if let node = fields["backoff_max"] {
            if let value = reader.duration(node, fields.path("backoff_max")) { policy.backoffMax = value } else { ok = false }
        }
        if let node = fields["jitter"] {
            if let value = reader.bool(node, fields.path("jitter")) { policy.jitter = value } else { ok = false }
        }
        return ok ? policy : nil
    }

    static let distributionKinds = ["constant", "uniform", "exponential", "lognormal", "empirical"]

    func readDistribution(_ node: Node, _ path: String) -> DurationDistribution? {
        if case .scalar = node {
            return reader.duration(node, path).map(DurationDistribution.constant)
        }
        let expected = "a duration or one of {uniform: {min, max}}, {exponential: {mean}},"
            + " {lognormal: {median, p99}}, {empirical: [...]}"
        guard case .mapping = node,
              let fields = reader.fields(node, path, allowed: Self.distributionKinds, expected: expected) else {
            if case .mapping = node {} else { reader.fail(node, path, expected: expected, node) }
            return nil
        }
        guard fields.entries.count == 1, let entry = fields.entries.first else {
            if fields.entries.count > 1 {
                let extra = fields.entries[1]
                reader.fail(extra.keyNode, fields.path(extra.key), expected: "exactly one distribution",
                            found: "both \(quoted(fields.entries[0].key)) and \(quoted(extra.key))")
            } else if !fields.node.mapping!.isEmpty {
                // Only unknown keys: already reported.
            } else {
                reader.fail(node, path, expected: expected, found: "an empty mapping")
            }
            return nil
        }
        let kindPath = fields.path(entry.key)
        switch entry.key {
        case "constant":
            return reader.duration(entry.value, kindPath).map(DurationDistribution.constant)
        case "uniform":
            guard let inner = reader.fields(entry.value, kindPath, allowed: ["min", "max"]) else { return nil }
            let low = reader.required(inner, "min", what: "the shortest duration")
                .flatMap { reader.duration($0, inner.path("min")) }
            let high = reader.required(inner, "max", what: "the longest duration")
                .flatMap { reader.duration($0, inner.path("max")) }
            guard let low, let high else { return nil }
            guard low <= high else {
                reader.fail(inner["max"], inner.path("max"),
                            expected: "a maximum no shorter than min (\(DurationText.format(low)))", inner["max"]!)
                return nil
            }
            return .uniform(min: low, max: high)
        case "exponential":
            guard let inner = reader.fields(entry.value, kindPath, allowed: ["mean"]) else { return nil }
            return reader.required(inner, "mean", what: "the mean duration")
                .flatMap { reader.duration($0, inner.path("mean"), positive: true) }
                .map { .exponential(mean: $0) }
        case "lognormal":
            guard let inner = reader.fields(entry.value, kindPath, allowed: ["median", "p99"]) else { return nil }
            let median = reader.required(inner, "median", what: "the median duration")
                .flatMap { reader.duration($0, inner.path("median"), positive: true) }
            let p99 = reader.required(inner, "p99", what: "the 99th percentile duration")
                .flatMap { reader.duration($0, inner.path("p99"), positive: true) }
            guard let median, let p99 else { return nil }
            guard p99 > median else {
                reader.fail(inner["p99"], inner.path("p99"),
                            expected: "a p99 longer than the median (\(DurationText.format(median)))", inner["p99"]!)
                return nil
            }
            return .logNormal(median: median, p99: p99)
        default: // empirical
            guard let items = reader.list(entry.value, kindPath, expected: "a list of measured durations") else { return nil }
            guard !items.isEmpty else {
                reader.fail(entry.value, kindPath, expected: "at least one measured duration", found: "an empty list")
                return nil
            }
            var values: [TimeSpan] = []
            for (index, item) in items.enumerated() {
                if let value = reader.duration(item, KeyPathText.index(kindPath, index)) { values.append(value) }
            }
            return values.count == items.count ? .empirical(values) : nil
        }
    }

    // MARK: routes

    func readRoutes(_ node: Node) -> [RouteRule] {
        guard case let .mapping(mapping) = node else {
            reader.fail(node, "routes", expected: "a mapping of task name or glob to queue", node)
            return []
        }
        var rules: [RouteRule] = []
        for (keyNode, value) in mapping {
            guard let pattern = reader.string(keyNode, "routes", expected: "a task name or glob") else { continue }
            let path = KeyPathText.child("routes", pattern)
            if let queue = reader.string(value, path, expected: "a queue name") {
                rules.append(RouteRule(pattern: pattern, queue: queue))
            }
        }
        return rules
    }

    // MARK: load

    func readLoad(_ node: Node, duration: TimeSpan?, tasks: Names) -> LoadSpec? {
        guard let fields = reader.fields(node, "load", allowed: ["arrival", "phases", "bursts", "mix"]) else { return nil }
        var load = LoadSpec()
        if let node = fields["arrival"], let word = reader.choice(node, fields.path("arrival"), ["poisson", "even"]),
           let arrival = ArrivalProcess(rawValue: word) {
            load.arrival = arrival
        }
        if let node = reader.required(fields, "phases", what: "a list of load phases") {
            load.phases = readPhases(node, fields.path("phases"), duration: duration)
        }
        if let node = fields["bursts"] {
            load.bursts = readBursts(node, fields.path("bursts"), duration: duration, tasks: tasks)
        }
        if let node = fields["mix"] {
            load.mix = readMix(node, fields.path("mix"), tasks: tasks)
        } else if tasks.complete && tasks.list.count == 1 {
            load.mix = [MixEntry(task: tasks.list[0], weight: 1)]
        } else if tasks.complete && tasks.list.count > 1 {
            reader.fail(fields.node, fields.path("mix"), expected: "a mix", found: "",
                        message: "missing required key \"mix\" (task weights, needed when there is more than one task)")
        }
        return load
    }

    func readPhases(_ node: Node, _ path: String, duration: TimeSpan?) -> [LoadPhase] {
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
            guard let fields = reader.fields(item, itemPath, allowed: ["duration", "rate", "ramp"],
                                             expected: "a phase {duration, rate} or {duration, ramp: {from, to}}")
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
            if let length, let from, let to {
                phases.append(LoadPhase(duration: length, rateFrom: from, rateTo: to))
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
                                found: "unknown task \(quoted(name))")
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
                            found: "unknown task \(quoted(name))")
                continue
            }
            if let weight = reader.number(value, entryPath, expected: "a positive weight", isValid: { $0 > 0 }) {
                mix.append(MixEntry(task: name, weight: weight))
            }
        }
        return mix
    }

    // MARK: faults

    static let instantFaults = ["kill_worker", "restart_worker", "stop_worker"]
    static let windowFaults = ["broker_outage", "broker_latency", "slow_tasks", "memory_pressure"]

    func readFaults(_ node: Node, runLength: TimeSpan?, workers: [WorkerGroupSpec]?, tasks: Names) -> [FaultSpec] {
        guard let items = reader.list(node, "faults", expected: "a list of faults") else { return [] }
        var faults: [FaultSpec] = []
        let kinds = Self.instantFaults + Self.windowFaults
        for (index, item) in items.enumerated() {
            let path = KeyPathText.index("faults", index)
            guard let fields = reader.fields(item, path, allowed: ["at", "from", "to"] + kinds,
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
                kind = reader.duration(value, kindPath, positive: true).map(FaultKind.brokerLatency)
            case "slow_tasks":
                kind = readSlowTasks(value, kindPath, tasks: tasks)
            default: // memory_pressure
                kind = readMemoryPressure(value, kindPath, workers: workers)
            }
            if let start, let kind, timingOK {
                faults.append(FaultSpec(start: start, end: end, kind: kind))
            }
        }
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
                            found: "unknown task \(quoted(text))")
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

    // MARK: assertions

    func readAssertions(_ node: Node) -> [Assertion] {
        guard let items = reader.list(node, "assertions", expected: "a list of assertions like \"lost == 0\"") else { return [] }
        var out: [Assertion] = []
        for (index, item) in items.enumerated() {
            let path = KeyPathText.index("assertions", index)
            guard let text = reader.string(item, path, expected: "an assertion like \"queue_wait.p99 < 30s\"") else { continue }
            do {
                out.append(try Assertion.parse(text))
            } catch {
                reader.fail(item, path, expected: error.expected, found: error.found)
            }
        }
        return out
    }
}
