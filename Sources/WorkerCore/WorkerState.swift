import DequeModule

/// A child-process slot of the pool.
struct Slot: Sendable {
    enum State: Sendable, Equatable { case absent, spawning, idle, busy }
    var state: State = .absent
    var running: Running? = nil
    /// Tasks run by the current child, for `max_tasks_per_child`.
    var tasksRun = 0
}

/// A task executing in a slot, with the deadlines of its time limits.
struct Running: Sendable {
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
