import Scenarios

/// Which duplicate executions a configuration allows.
///
/// Celery on Redis promises at-least-once only with `task_acks_late`: a message whose worker died
/// (or whose acknowledgement was lost, or that was rejected with requeue, or given back at shutdown)
/// may run again, and that is the documented price. Without late acknowledgement the promise is
/// at-most-once. No configuration allows a redelivery of a message a live worker still holds — the
/// visibility timeout passing while a task waits for its eta (celery#2481) or runs longer than the
/// timeout (celery#5935) — nor a second run with no redelivery at all.
struct DuplicatePolicy {
    /// True when every task type runs with `acks_late` on every worker group.
    let atLeastOnce: Bool

    init(scenario: Scenario) {
        atLeastOnce = scenario.fleet.allSatisfy { group in
            scenario.tasks.allSatisfy { $0.options.applied(to: group.taskDefaults).acksLate }
        }
    }

    /// Whether duplicates with this cause (as the simulator's ledger words it) are allowed.
    func allows(cause: String) -> Bool {
        if cause.hasPrefix("visibility_timeout passed while") || cause.hasPrefix("unexplained") { return false }
        let afterFailure = (cause.hasPrefix("restored after") && cause.hasSuffix("died holding it"))
            || cause.hasPrefix("restored after its acknowledgement was lost")
            || cause.hasPrefix("requeued by")
            || cause.hasPrefix("given back at")
        return afterFailure && atLeastOnce
    }
}
