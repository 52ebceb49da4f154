import WorkerCore

/// What a driver reads from its broker for one scaled group's poll: the same figures from the
/// simulated broker and from Redis (LLEN of every list, HLEN of `unacked`, the message at each
/// list's consuming end).
public struct FleetBrokerReading: Sendable, Equatable {
    /// The length of each of the group's lists, in the order of `FleetController.lists(ofScaler:)`.
    public var listLengths: [Int]
    /// Messages taken by any worker and not acknowledged (`unacked`, over the whole broker, as
    /// Celery's backlog counts them).
    public var unacked: Int
    /// When the oldest waiting message of the group's lists became due (nil when none waits).
    public var oldestDueAt: Instant?

    public init(listLengths: [Int], unacked: Int, oldestDueAt: Instant?) {
        self.listLengths = listLengths
        self.unacked = unacked
        self.oldestDueAt = oldestDueAt
    }
}
