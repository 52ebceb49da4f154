import Yams

/// A task's `then`, `fan_out`, `join` and `on_failure` keys, and the checks across tasks (unknown
/// names, cycles) made before anything runs.
extension ScenarioBuilder {
    func readFollowers(_ fields: Fields) -> TaskFollowers? {
        var followers = TaskFollowers()
        var ok = true
        if let node = fields["then"] {
            if let names = reader.strings(node, fields.path("then"), expected: "a list of task names (the rest of the chain)") {
                followers.then = names
            } else { ok = false }
        }
        if let node = fields["on_failure"] {
            if let names = reader.strings(node, fields.path("on_failure"), expected: "a list of task names (errbacks)") {
                followers.onFailure = names
            } else { ok = false }
        }
        if let node = fields["fan_out"] {
            let path = fields.path("fan_out")
            if let inner = reader.fields(node, path, allowed: ["task", "count"]),
               let taskNode = reader.required(inner, "task", what: "the task of each group member"),
               let task = reader.string(taskNode, inner.path("task")),
               let countNode = reader.required(inner, "count", what: "how many members, a number or a distribution"),
               let count = readDistribution(countNode, inner.path("count")) {
                followers.fanOut = FanOut(task: task, count: count)
            } else { ok = false }
        }
        if let node = fields["join"] {
            if let name = reader.string(node, fields.path("join"), expected: "a task name (the chord body)") {
                if fields["fan_out"] == nil {
                    reader.fail(node, fields.path("join"), expected: "join only together with fan_out (a chord body needs a group)",
                                found: "join without fan_out")
                    ok = false
                } else { followers.join = name }
            } else { ok = false }
        }
        if fields["then"] != nil && fields["fan_out"] != nil {
            reader.fail(fields["fan_out"], fields.path("fan_out"), expected: "either then or fan_out on one task",
                        found: "both; put fan_out on the chain's last task")
            ok = false
        }
        return ok ? followers : nil
    }

    /// Names that follow tasks must be declared; no task may eventually follow itself.
    func checkPipelines(tasks: [TaskTypeSpec], tasksNode: Node) {
        let declared = tasks.map(\.name)
        var byName: [String: TaskTypeSpec] = [:]
        for task in tasks { byName[task.name] = task }
        var known = true
        for (index, task) in tasks.enumerated() {
            for name in task.followers.named where !declared.contains(name) {
                known = false
                reader.fail(taskNode(tasksNode, index), KeyPathText.index("tasks", index),
                            expected: "a declared task (\(declared.joined(separator: ", ")))",
                            found: "unknown task \(quoted(name)) after \(quoted(task.name))"
                                + NearestName.hint(for: name, among: declared))
            }
        }
        guard known else { return }
        for (index, task) in tasks.enumerated() {
            if let cycle = Self.cycle(from: task.name, byName: byName) {
                reader.fail(taskNode(tasksNode, index), KeyPathText.index("tasks", index),
                            expected: "a pipeline without cycles", found: "a cycle: " + cycle.joined(separator: " -> "))
                return
            }
        }
        do {
            _ = try PipelinePlan.plans(for: tasks)
        } catch {
            let index = tasks.firstIndex { $0.name == error.task } ?? 0
            reader.fail(taskNode(tasksNode, index), KeyPathText.index("tasks", index),
                        expected: "a pipeline Lovage runs (a chain of tasks and chords; a group without join only at the end)",
                        found: error.reason)
        }
    }

    func taskNode(_ tasksNode: Node, _ index: Int) -> Node? {
        guard case .sequence(let sequence) = tasksNode, index < sequence.count else { return tasksNode }
        return sequence[index]
    }

    /// The path back to `start` if it eventually follows itself (depth-first, in file order).
    static func cycle(from start: String, byName: [String: TaskTypeSpec]) -> [String]? {
        var path = [start]
        var visited: [String] = []
        func visit(_ name: String) -> Bool {
            for next in byName[name]?.followers.named ?? [] {
                if next == start { path.append(next); return true }
                if visited.contains(next) { continue }
                visited.append(next)
                path.append(next)
                if visit(next) { return true }
                path.removeLast()
            }
            return false
        }
        return visit(start) ? path : nil
    }
}
