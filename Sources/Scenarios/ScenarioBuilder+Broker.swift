import WorkerCore
import Yams

/// The `broker:` section: visibility timeout, priority steps, queue order, latency and result expiry.
extension ScenarioBuilder {
    func readBroker(_ node: Node) -> BrokerSpec? {
        guard let fields = reader.fields(node, "broker", allowed: ["visibility_timeout", "priority_steps",
                                                                   "queue_order_strategy", "latency", "idle_wake",
                                                                   "result_expires"])
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
        if let node = fields["latency"], let value = reader.duration(node, fields.path("latency"), subSecondUnit: "us") {
            broker.latency = value
        }
        if let node = fields["idle_wake"] { broker.idleWake = readIdleWake(node, fields.path("idle_wake")) }
        if let node = fields["result_expires"], let value = reader.duration(node, fields.path("result_expires")) {
            broker.resultExpires = value
        }
        return broker
    }

    /// `idle_wake: {max: 450us, time_constant: 7.4ms}`.
    private func readIdleWake(_ node: Node, _ path: String) -> IdleWake? {
        guard let fields = reader.fields(node, path, allowed: ["max", "time_constant"]),
              let maxNode = reader.required(fields, "max", what: "the most a publish after a quiet spell pays"),
              let constantNode = reader.required(fields, "time_constant", what: "how fast the cost grows with the quiet time"),
              let max = reader.duration(maxNode, fields.path("max"), subSecondUnit: "us"),
              let constant = reader.duration(constantNode, fields.path("time_constant"), positive: true, subSecondUnit: "ms")
        else { return nil }
        return IdleWake(max: max, timeConstant: constant)
    }
}
