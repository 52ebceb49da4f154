/// What one publish of a task type with followers sets going, as Celery's canvas would carry it: the
/// root's chain, flattened (each step's own `then` runs after it), in which a `fan_out` is a group
/// and a `fan_out` with `join` a chord whose body is the next stage (celery/canvas.py: a chain
/// holding a chord applies the chord when the step before it returns; `_chord.run` publishes the
/// header with `embed.chord` set to the body). The simulator and a real run both walk these stages,
/// so the two worlds run the same shape.
///
/// The shapes Lovage runs are a chain of single tasks and groups, where a group is either joined
/// (a chord: its body continues the chain) or the end of the pipeline. `checkPipelines` refuses the
/// rest before anything runs, naming the task: a group member or errback with followers of its own
/// (a chain inside a group, a pipeline started by an errback), and a group without `join` in the
/// middle of a chain.
public struct PipelinePlan: Sendable, Equatable {
    public enum Stage: Sendable, Equatable {
        /// One task of this type (index into `scenario.tasks`).
        case task(Int)
        /// A group of tasks of one type, its size drawn per pipeline (`FanOutCounts`); `joined`:
        /// a chord, whose body is the next stage.
        case group(member: Int, count: DurationDistribution, joined: Bool)
    }

    /// The root's task type index: every publish of it starts a pipeline.
    public var root: Int
    /// In order; `stages[0]` is `.task(root)`.
    public var stages: [Stage]

    /// How many group stages (a pipeline draws one member count for each, in stage order).
    public var groupCount: Int { stages.filter { if case .group = $0 { return true } else { return false } }.count }

    /// The shape in one line, for reports: `tasks.parse → tasks.split → chord(tasks.embed × n) → tasks.update_index`.
    public func shape(names: [String]) -> String { stageNames(names: names).joined(separator: " → ") }

    /// Each stage as reports name it: the task's name, or `chord(member × n)` / `group(member × n)`.
    public func stageNames(names: [String]) -> [String] {
        stages.map { stage in
            switch stage {
            case .task(let index): return names[index]
            case .group(let member, _, let joined): return (joined ? "chord(" : "group(") + names[member] + " × n)"
            }
        }
    }

    /// Whether a group of it is joined (a chord).
    public var hasJoin: Bool { stages.contains { if case .group(_, _, true) = $0 { return true } else { return false } } }

    /// A pipeline shape Lovage does not run, with the task it is about and why.
    public struct Unsupported: Error, Sendable, Equatable {
        public var task: String
        public var reason: String
    }

    /// The plan of every task type that has followers (nil for a plain one), by type index. Assumes
    /// names resolve and there is no cycle (`checkPipelines` checks both first).
    public static func plans(for tasks: [TaskTypeSpec]) throws(Unsupported) -> [PipelinePlan?] {
        var indexByName: [String: Int] = [:]
        for (index, task) in tasks.enumerated() where indexByName[task.name] == nil { indexByName[task.name] = index }
        var plans: [PipelinePlan?] = []
        for (index, task) in tasks.enumerated() {
            guard !(task.followers.then.isEmpty && task.followers.fanOut == nil) else { plans.append(nil); continue }
            plans.append(PipelinePlan(root: index, stages: try stages(of: index, tasks: tasks, indexByName: indexByName)))
        }
        for task in tasks {
            for name in task.followers.onFailure {
                guard let errback = indexByName[name] else { continue }
                let followers = tasks[errback].followers
                if !followers.then.isEmpty || followers.fanOut != nil {
                    throw Unsupported(task: name, reason: "an on_failure task (of \(task.name)) cannot have then or fan_out of its own")
                }
            }
        }
        return plans
    }

    /// A type's stages: itself, each `then` step's stages, then its group and the join's stages.
    private static func stages(of index: Int, tasks: [TaskTypeSpec], indexByName: [String: Int]) throws(Unsupported) -> [Stage] {
        let task = tasks[index]
        var stages: [Stage] = [.task(index)]
        for name in task.followers.then {
            guard let next = indexByName[name] else { continue }
            if case .group(_, _, false)? = stages.last {
                throw Unsupported(task: task.name, reason: "a fan_out without join can only end a pipeline; \(name) cannot follow it (add join)")
            }
            stages += try self.stages(of: next, tasks: tasks, indexByName: indexByName)
        }
        if let fanOut = task.followers.fanOut, let member = indexByName[fanOut.task] {
            let memberFollowers = tasks[member].followers
            if !memberFollowers.then.isEmpty || memberFollowers.fanOut != nil {
                throw Unsupported(task: fanOut.task,
                                  reason: "a fan_out member (of \(task.name)) cannot have then or fan_out of its own; put what follows the group in join")
            }
            stages.append(.group(member: member, count: fanOut.count, joined: task.followers.join != nil))
            if let join = task.followers.join, let body = indexByName[join] {
                stages += try self.stages(of: body, tasks: tasks, indexByName: indexByName)
            }
        }
        return stages
    }
}

extension Scenario {
    /// Each task type's pipeline (nil for a plain type), by type index. A scenario read from a file
    /// has had its shapes checked; one built in code with an unsupported shape runs no pipelines.
    public var pipelinePlans: [PipelinePlan?] {
        (try? PipelinePlan.plans(for: tasks)) ?? tasks.map { _ in nil }
    }
}
