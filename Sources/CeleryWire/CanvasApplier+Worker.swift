/// What a worker applies after a task's outcome (celery/app/trace.py `build_tracer`'s
/// `_dispatch_callbacks_and_chain`, celery/backends/base.py `_call_task_errbacks`), each from the
/// decoded embed of the task's message and the context of that task.
extension CanvasApplier {
    /// The tracer's call options: `parent_id` = the task, `root_id`, and its delivery priority.
    var tracerOptions: JSONObject {
        var o: JSONObject = ["parent_id": .string(context.taskID), "root_id": .string(context.rootID)]
        if let p = context.priority { o.set(.int(Int64(p)), forKey: "priority") }
        return o
    }

    /// `link` callbacks after a success: one alone is applied with `(retval,)`; several are split
    /// into the groups among them (each applied on its own) and one group of the rest, with a
    /// fresh group id and `group_index`.
    public mutating func applyCallbacks(_ callbacks: [CanvasSignature], result: JSONValue) {
        guard !callbacks.isEmpty else { return }
        if callbacks.count == 1 {
            apply(callbacks[0], args: [result], options: tracerOptions)
            return
        }
        var plain: [CanvasSignature] = []
        for sig in callbacks {
            if case .group(let members) = sig.form {
                applyGroup(members, groupOptions: sig.options, args: [result], options: tracerOptions, addToParent: true)
            } else {
                plain.append(sig)
            }
        }
        if !plain.isEmpty {
            applyGroup(plain, args: [result], options: tracerOptions, addToParent: true)
        }
    }

    /// The chain's next task: `signature(chain[-1]).apply_async((retval,), chain=chain[:-1], ...)`
    /// (`embed.chain` is reversed). The result is prepended unless the step is immutable.
    public mutating func applyChainNext(_ chain: [CanvasSignature], result: JSONValue) {
        guard let next = chain.last else { return }
        var options = tracerOptions
        options.set(.array(chain.dropLast().map(\.json)), forKey: "chain")
        apply(next, args: [result], options: options)
    }

    /// `_call_task_errbacks` for errbacks called as tasks: one group of them applied with
    /// `(task_id,)`, `parent_id` = the failed task, its root id. (Errbacks that take
    /// `(request, exc, traceback)` run inline in a Python worker; a Lovage worker publishes every
    /// errback, as Celery does for errbacks it does not have registered.)
    public mutating func applyErrbacks(_ errbacks: [CanvasSignature], failedTaskID: String, rootID: String?) {
        guard !errbacks.isEmpty else { return }
        let options: JSONObject = ["parent_id": .string(failedTaskID), "root_id": .string(rootID ?? failedTaskID)]
        applyGroup(errbacks, args: [.string(failedTaskID)], options: options, addToParent: false)
    }

    /// The chord body once the join is complete: `callback.delay(resl)` from the last member
    /// (send_task fills `parent_id`/`root_id` from that member when the body's options do not).
    public mutating func applyChordBody(_ body: CanvasSignature, results: [JSONValue]) {
        apply(body, args: [.array(results)], options: [:], addToParent: false)
    }
}
