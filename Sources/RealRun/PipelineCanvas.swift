import CeleryWire
import Scenarios

/// The root message's `embed` for a pipeline, as Celery's client sends `chain(root, ...)` applied
/// (celery/canvas.py `_chain.run` → `prepare_steps`; capture 07-chain-group-task): the later
/// stages frozen with their ids and listed last-first in `embed.chain` (the worker takes the next
/// with `chain.pop()`), a joined group and the stage after it as one `celery.chord` (its header a
/// `celery.group` frozen with the group id, members with `group_index`), an unjoined group at the
/// end as a `celery.group`, and each task's `on_failure` as `link_error` in its options.
///
/// Every signature is immutable (`.si`): each step's kwargs carry its own body model, and neither
/// the parent's result nor the header's results nor an errback's task id may be prepended to them
/// (a Python task `def run(self, **kwargs)` would refuse positional arguments). Queue and priority
/// are set on each signature, so the worker that publishes a follower routes it as the load's
/// router does, whatever routes that worker was given.
struct PipelineCanvas {
    let load: PipelineLoad
    let scenario: Scenario
    /// A follower's body kwargs (its duration, failure chance, ...), by follower index.
    let kwargs: (Int) -> JSONObject
    /// The queue a task type is sent to.
    let queue: (Int) -> String

    /// (`embed.chain`, `embed.errbacks`) of planned task `planIndex`'s message.
    func embed(ofPlanIndex planIndex: Int) -> (chain: JSONValue, errbacks: JSONValue) {
        let errbacks = errbackList(load.errbacksOfPlanIndex[planIndex])
        guard let index = load.pipelineOfPlanIndex[planIndex] else { return (.null, errbacks) }
        let pipeline = load.pipelines[index]
        guard let plan = load.plans[pipeline.root] else { return (.null, errbacks) }
        var steps: [JSONValue] = []
        var stage = 1
        while stage < plan.stages.count {
            switch plan.stages[stage] {
            case .task:
                steps.append(taskSignature(pipeline.stageTasks[stage][0]))
                stage += 1
            case .group(_, _, let joined):
                let gid = pipeline.groupIDs[stage] ?? ""
                let members = pipeline.stageTasks[stage].enumerated().map { position, follower in
                    taskSignature(follower, extra: ["group_index": .int(Int64(position))])
                }
                let group = Self.signature(task: "celery.group", kwargs: ["tasks": .array(members)],
                                           options: ["task_id": .string(gid)], subtaskType: "group", immutable: false)
                if joined, stage + 1 < plan.stages.count {
                    let body = taskSignature(pipeline.stageTasks[stage + 1][0])
                    steps.append(Self.signature(task: "celery.chord",
                                                kwargs: ["kwargs": .object([:]), "header": group, "body": body],
                                                options: ["task_id": .string(gid)], subtaskType: "chord", immutable: false))
                    stage += 2
                } else {
                    steps.append(group)
                    stage += 1
                }
            }
        }
        return (steps.isEmpty ? .null : .array(steps.reversed()), errbacks)
    }

    /// One follower's frozen `.si` signature, with its errbacks as `link_error`.
    private func taskSignature(_ index: Int, extra: JSONObject = [:]) -> JSONValue {
        let follower = load.followers[index]
        let spec = scenario.tasks[follower.taskIndex]
        var options: JSONObject = ["task_id": .string(follower.id), "queue": .string(queue(follower.taskIndex))]
        if let priority = spec.priority { options.set(.int(Int64(priority)), forKey: "priority") }
        // Relative to the follower's publish, as the simulator applies them (Celery: countdown
        // and a number for expires are seconds from the apply).
        if let countdown = spec.countdown { options.set(.double(countdown.seconds), forKey: "countdown") }
        if let expires = spec.expires { options.set(.double(expires.seconds), forKey: "expires") }
        for (key, value) in extra { options.set(value, forKey: key) }
        let errbacks = errbackList(follower.errbacks)
        if !errbacks.isNull { options.set(errbacks, forKey: "link_error") }
        return Self.signature(task: spec.name, kwargs: kwargs(index), options: options, subtaskType: nil, immutable: true)
    }

    private func errbackList(_ indices: [Int]) -> JSONValue {
        indices.isEmpty ? .null : .array(indices.map { taskSignature($0) })
    }

    /// `Signature.__json__`: the dict a signature travels as, keys in Celery's order.
    static func signature(task: String, kwargs: JSONObject, options: JSONObject, subtaskType: String?,
                          immutable: Bool) -> JSONValue {
        var dict = JSONObject()
        dict.set(.string(task), forKey: "task")
        dict.set(.array([]), forKey: "args")
        dict.set(.object(kwargs), forKey: "kwargs")
        dict.set(.object(options), forKey: "options")
        dict.set(subtaskType.map { .string($0) } ?? .null, forKey: "subtask_type")
        dict.set(.bool(immutable), forKey: "immutable")
        return .object(dict)
    }
}
