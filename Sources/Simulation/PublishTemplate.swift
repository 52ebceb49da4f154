import Scenarios
import WorkerCore

/// What every client publish of one task type shares, worked out once per run: the name, the queue
/// Celery's producer routes it to, and the `apply_async` options the scenario gives the type.
struct PublishTemplate {
    let name: String
    let queue: String
    let priority: Int?
    let countdown: TimeSpan?
    let expires: TimeSpan?
    let ignoreResult: Bool

    init(_ spec: TaskTypeSpec, router: TaskRouter) {
        name = spec.name
        queue = router.queue(forTask: spec.name, explicitQueue: spec.queue)
        priority = spec.priority
        countdown = spec.countdown
        expires = spec.expires
        ignoreResult = spec.options.ignoreResult ?? false
    }
}
