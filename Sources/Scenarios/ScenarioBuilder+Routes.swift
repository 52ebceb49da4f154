import WorkerCore
import Yams

/// The `routes:` section: task names or globs mapped to queues.
extension ScenarioBuilder {
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

    /// `unconsumed_queues: [name, ...]`: queues the scenario publishes to on purpose although no
    /// worker group consumes them (work meant to pile up, a consumer outside the simulated fleet).
    func readUnconsumedQueues(_ node: Node) -> [String] {
        reader.strings(node, "unconsumed_queues", expected: "a list of queue names no worker group consumes on purpose") ?? []
    }

    /// Every task type and route must publish to a queue some worker group consumes (a group of
    /// zero workers that a fleet scaler starts counts), or to one the scenario lists in
    /// `unconsumed_queues`: `queue: dfy` for `dify` would otherwise strand every task of the type
    /// while the run reports zero waits. Bursts publish declared task types, so the task's error
    /// covers them. Each problem names the task or route, its queue and the consumed queues.
    func checkQueuesConsumed(top: Fields, fleet: [WorkerGroupSpec], tasks: [TaskTypeSpec], routes: [RouteRule],
                             excused: [String]) {
        var consumed: [String] = []
        for group in fleet { for queue in group.queues where !consumed.contains(queue) { consumed.append(queue) } }
        let allowed = Set(consumed).union(excused)
        let router = TaskRouter(rules: routes.map { TaskRouter.Rule(pattern: $0.pattern, queue: $0.queue) })
        let expected = "a queue that a worker group consumes"
        func message(_ subject: String, _ queue: String) -> String {
            "\(subject) queue \(quoted(queue)), which no worker group consumes (consumed: "
                + consumed.map(quoted).joined(separator: ", ") + ")."
                + (NearestName.suggestion(for: queue, among: consumed).map { " Did you mean \(quoted($0))?" } ?? "")
                + " If no worker is meant to take it, list it in unconsumed_queues."
        }
        // Routes, at the value that names the queue.
        if let routesNode = top["routes"], case let .mapping(mapping) = routesNode {
            for (keyNode, value) in mapping {
                guard let pattern = keyNode.scalarText, let queue = value.scalarText, !allowed.contains(queue) else { continue }
                reader.fail(value, KeyPathText.child("routes", pattern), expected: expected, found: quoted(queue),
                            message: message("route \(quoted(pattern)) sends tasks to", queue))
            }
        }
        // Task types, at their `queue` when they name one, else at their name (routed or default).
        guard let tasksNode = top["tasks"], case let .sequence(items) = tasksNode else { return }
        for (index, item) in items.enumerated() {
            guard case let .mapping(fields) = item,
                  let nameNode = fields.first(where: { $0.key.scalarText == "name" })?.value,
                  let name = nameNode.scalarText, let task = tasks.first(where: { $0.name == name }) else { continue }
            let queue = router.queue(forTask: name, explicitQueue: task.queue)
            guard !allowed.contains(queue) else { continue }
            let queueNode = fields.first(where: { $0.key.scalarText == "queue" })?.value
            let how = queueNode != nil ? "" : router.rules.contains { $0.queue == queue } ? " by its route to" : " to the default"
            reader.fail(queueNode ?? nameNode, KeyPathText.child(KeyPathText.index("tasks", index), queueNode != nil ? "queue" : "name"),
                        expected: expected, found: quoted(queue),
                        message: message("task \(quoted(name)) is published\(how.isEmpty ? " to" : how)", queue))
        }
    }
}
