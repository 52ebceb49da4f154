import WorkerCore

/// Bounds the exploration harness (`lovage explore`) holds a run to, beyond the invariants every
/// run is checked for (no task lost, no start before eta or after expiry, attempts within
/// max_retries + 1, no duplicate the configuration does not allow).
///
/// Written in a scenario as `invariants: {drain_within: 5m, periodic_missed: 3}`.
public struct InvariantSpec: Sendable, Equatable {
    /// Liveness: once the load has stopped and the last fault window has closed, the backlog (queued,
    /// held, unacknowledged and running tasks) must be empty within this long. Nil: the scenario's
    /// `drain`, so whatever is left over at the end of the run breaks it.
    public var drainWithin: TimeSpan? = nil
    /// `periodic_duplicate`: how many periodic runs may be sent twice for one due time before the
    /// invariant breaks (0, the default: none; nil, written `false`: not checked).
    public var periodicDuplicatesAllowed: Int? = 0
    /// `periodic_missed`: how many due times may pass without a send (0, the default; nil, written
    /// `false`: not checked — a scenario that kills its only beat expects some).
    public var periodicMissedAllowed: Int? = 0
    public init() {}
}

extension Scenario {
    /// The liveness bound in force: `invariants.drain_within`, else the whole drain period.
    public var drainBound: TimeSpan { invariants.drainWithin ?? drain }

    /// When the faults stop, the load has ended and the last task published may be due: the
    /// instant (from the start of the run) from which the liveness bound counts. An instantaneous
    /// fault (a kill) counts at its instant; a task waiting for its eta is not a backlog, so the
    /// longest countdown is added to the end of the load. (Retry backoff is not: a bound should
    /// leave room for it.)
    public var quietFrom: TimeSpan {
        let longestCountdown = tasks.compactMap(\.countdown).max() ?? .zero
        return faults.reduce(duration + longestCountdown) { latest, fault in max(latest, fault.end ?? fault.start) }
    }
}
