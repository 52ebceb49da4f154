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
}
