import WorkerCore

/// What the fleet controller asks a driver to do. The driver carries each out as it comes, in
/// order; none needs a decision of its own.
public enum FleetDirective: Sendable, Equatable {
    /// The worker is to start at `at`, after the start-up delay: the driver calls
    /// `FleetController.startDue` then (a simulator schedules an event, a real run waits for
    /// `nextDeadline`).
    case scheduleStart(FleetWorker, at: Instant)
    /// A start scheduled earlier will not happen (the group wants fewer workers again).
    case cancelStart(FleetWorker)
    /// Start the worker's process now: its start-up delay is over.
    case start(FleetWorker)
    /// Begin a warm shutdown now (SIGTERM); the driver calls `FleetController.graceEnded` at `killAt`.
    case warmStop(FleetWorker, killAt: Instant)
    /// SIGKILL now: the worker outlived its shutdown grace.
    case kill(FleetWorker)
    /// The scaled group's next poll is at `at` (index into `FleetController.scalers`).
    case schedulePoll(scaler: Int, at: Instant)
}

/// What one poll saw and decided, and the directives it issued.
public struct FleetPoll: Sendable, Equatable {
    /// What the policy was given and answered; nil when the broker did not answer (no decision,
    /// the schedule moves on).
    public struct Decision: Sendable, Equatable {
        /// Replicas running or starting before the decision, not counting those being stopped.
        public var current: Int
        public var desired: Int
        /// LLEN of the one list KEDA reads.
        public var listLength: Int
        /// Every list of the group plus `unacked`.
        public var backlog: Int

        public init(current: Int, desired: Int, listLength: Int, backlog: Int) {
            self.current = current
            self.desired = desired
            self.listLength = listLength
            self.backlog = backlog
        }
    }

    /// Index into `FleetController.scalers`.
    public var scaler: Int
    /// The group's index in the scenario's fleet.
    public var group: Int
    public var decision: Decision?
    public var directives: [FleetDirective]
}
