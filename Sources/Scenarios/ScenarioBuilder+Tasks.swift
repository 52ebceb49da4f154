import WorkerCore
import Yams

/// The `tasks:` section: task types, their option overrides, failure/hang/crash chances and retry policies.
extension ScenarioBuilder {
    static let taskKeys = ["name", "queue", "priority", "countdown", "expires", "acks_late", "reject_on_worker_lost",
                           "acks_on_failure_or_timeout", "track_started", "ignore_result", "time_limit",
                           "soft_time_limit", "rate_limit", "retry", "duration", "failure", "hang", "crash", "memory",
                           "result_size", "then", "fan_out", "join", "on_failure"]

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
        if let followers = check(readFollowers(fields)) { task.followers = followers }
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
}
