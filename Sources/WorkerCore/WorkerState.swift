import DequeModule

/// A child-process slot of the pool.
struct Slot: Sendable {
    /// What the slot's child is doing. A busy slot carries its running task in the case itself, so
    /// a slot busy without a task, or idle (spawning, absent) with one, cannot be written.
    enum State: Sendable, Equatable {
        /// No child (never started, retired by the autoscaler, or stopped by a shutdown).
        case absent
        /// A child is starting (or being replaced); the driver answers with `.childReady`.
        case spawning
        /// A child is ready and runs nothing.
        case idle
        /// The child runs this task.
        case busy(Running)
    }

    var state: State = .absent
    /// Tasks run by the current child, for `max_tasks_per_child`.
    var tasksRun = 0
    /// `pool_shrink` / `autoscale` found the child busy: retire it once its task ends.
    var retireAfterTask = false
    /// `pool_restart` found the child busy: replace it once its task ends.
    var restartAfterTask = false

    /// The task the child runs, when it is busy.
    var running: Running? {
        if case .busy(let running) = state { return running }
        return nil
    }

    var isBusy: Bool {
        if case .busy = state { return true }
        return false
    }

    /// Whether the child is ready and runs nothing. A pattern match reads the case in place;
    /// `state == .idle` (Equatable) copied the whole state, retaining a busy slot's request.
    var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    /// Whether a child is starting (pattern-matched in place, like `isIdle`).
    var isSpawning: Bool {
        if case .spawning = state { return true }
        return false
    }

    /// Whether the slot has no child (pattern-matched in place, like `isIdle`).
    var isAbsent: Bool {
        if case .absent = state { return true }
        return false
    }
}

/// A task executing in a slot, with the deadlines of its time limits.
struct Running: Sendable, Equatable {
    var request: TaskRequest
    var execution: UInt64
    var startedAt: Instant
    var softDeadline: Instant?
    var hardDeadline: Instant?
    var softLimitRaised = false
    /// Whether the message is still unacknowledged (acks_late).
    var unacked: Bool
    /// The delivery order, to give the message back in Kombu's order on a cold shutdown.
    var deliverySequence: UInt64
}

/// A prefetched message with its delivery order (used to give messages back in Kombu's order).
struct Reservation: Sendable {
    var request: TaskRequest
    var sequence: UInt64
}

/// A message held for its eta, ordered by (eta, delivery sequence) so ties break deterministically.
struct HeldReservation: Comparable, Sendable {
    var eta: Instant
    var reservation: Reservation

    static func < (lhs: HeldReservation, rhs: HeldReservation) -> Bool {
        if lhs.eta != rhs.eta { return lhs.eta < rhs.eta }
        return lhs.reservation.sequence < rhs.reservation.sequence
    }

    static func == (lhs: HeldReservation, rhs: HeldReservation) -> Bool {
        lhs.eta == rhs.eta && lhs.reservation.sequence == rhs.reservation.sequence
    }
}

/// Celery's per-task-type token bucket (capacity 1) and the requests waiting on it.
struct RateBucket: Sendable {
    var taskName: String
    var limit: RateLimit
    var nextAllowed: Instant? = nil
    var waiting: Deque<Reservation> = []
}
