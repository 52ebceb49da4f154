import WorkerCore
import Yams

/// The `fleet:` section: worker groups, their task defaults and time limits, and autoscale settings.
extension ScenarioBuilder {
    static let groupKeys = ["name", "count", "concurrency", "autoscale", "prefetch_multiplier", "queues",
                            "acks_late", "reject_on_worker_lost", "acks_on_failure_or_timeout", "track_started",
                            "ignore_result", "time_limit", "soft_time_limit", "max_tasks_per_child",
                            "max_memory_per_child", "child_memory", "child_startup", "scaler",
                            "memory_limit", "held_message_memory", "restart_delay", "task_overhead",
                            "child_handoff", "worker_boot"]

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
           let bytes = check(readMemoryLimit(node, fields.path("max_memory_per_child"), bare: .kibibytes)) {
            group.maxMemoryPerChildKiB = Int(bytes / 1024)
        }
        if let node = fields["child_memory"], let bytes = check(reader.size(node, fields.path("child_memory"))) {
            group.childBaselineMemoryBytes = bytes
        }
        if let node = fields["child_startup"], let span = check(reader.duration(node, fields.path("child_startup"), subSecondUnit: "ms")) {
            group.childStartup = span
        }
        if let node = fields["task_overhead"], let span = check(reader.duration(node, fields.path("task_overhead"), subSecondUnit: "us")) {
            group.taskOverhead = span
        }
        if let node = fields["child_handoff"], let span = check(reader.duration(node, fields.path("child_handoff"), subSecondUnit: "us")) {
            group.childHandoff = span
        }
        if let node = fields["worker_boot"], let boot = check(readDistribution(node, fields.path("worker_boot"), subSecondUnit: "ms")) {
            group.workerBoot = boot
        }
        if let node = fields["memory_limit"], let bytes = check(readMemoryLimit(node, fields.path("memory_limit"), bare: .bytes)) {
            group.memoryLimitBytes = bytes
        }
        if let node = fields["held_message_memory"], let bytes = check(reader.size(node, fields.path("held_message_memory"))) {
            group.heldMessageBytes = bytes
        }
        if let node = fields["restart_delay"], let span = check(reader.duration(node, fields.path("restart_delay"))) {
            group.restartDelay = span
        }
        if let node = fields["scaler"], let scaler = check(readScaler(node, fields.path("scaler"), initialCount: group.count)) {
            group.scaler = scaler
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
}
