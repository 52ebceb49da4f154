import Scenarios
import Schedules
import WorkerCore

/// What every client publish of one task type shares, worked out once per run: the name, the queue
/// Celery's producer routes it to, and the `apply_async` options the scenario gives the type.
/// Both worlds read it: the simulator for every publish, a real run for the sends of its beats.
public struct PublishTemplate: Sendable {
    public let name: String
    public let queue: String
    public let priority: Int?
    public let countdown: TimeSpan?
    public let expires: TimeSpan?
    public let ignoreResult: Bool

    public init(_ spec: TaskTypeSpec, router: TaskRouter) {
        name = spec.name
        queue = router.queue(forTask: spec.name, explicitQueue: spec.queue)
        priority = spec.priority
        countdown = spec.countdown
        expires = spec.expires
        ignoreResult = spec.options.ignoreResult ?? false
    }

    /// A beat entry's send of this type: the entry's own `options` win where they are given, as
    /// `apply_async(**entry.options)` does, and the type's publish settings fill the rest. The one
    /// rule for both worlds: the simulator publishes with it, a real run writes it into the
    /// schedule file its beats read, so a send lands on the same queue with the same options.
    public func beatSend(_ options: BeatSendOptions) -> BeatSend {
        BeatSend(queue: options.queue ?? queue, priority: options.priority ?? priority,
                 countdown: options.countdownMicros.map(TimeSpan.init(microseconds:)) ?? countdown,
                 expires: options.expiresMicros.map(TimeSpan.init(microseconds:)) ?? expires)
    }

    /// Where a beat entry's send goes and when it may run (`beatSend`).
    public struct BeatSend: Sendable, Equatable {
        public let queue: String
        public let priority: Int?
        public let countdown: TimeSpan?
        public let expires: TimeSpan?
    }
}
