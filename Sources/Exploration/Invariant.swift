/// The invariants `lovage explore` groups failing seeds by, in the order it reports them.
public enum Invariant: String, CaseIterable, Sendable, Codable, Comparable {
    /// A published task that never reached SUCCESS, FAILURE or REVOKED and has no copy left anywhere.
    case lostTask = "lost_task"
    /// A second run of the same attempt that the configuration does not allow (see `DuplicatePolicy`).
    case duplicateNotAllowed = "duplicate_not_allowed"
    /// A task started before its eta or after it expired.
    case etaOrExpiry = "eta_or_expiry"
    /// More attempts than max_retries + 1.
    case tooManyAttempts = "too_many_attempts"
    /// After the load and the last fault, the backlog did not drain within the scenario's bound.
    case liveness = "liveness"
    /// A worker's pool outside its --autoscale bounds.
    case autoscaleBounds = "autoscale_bounds"
    /// A scenario pipeline that neither completed nor failed by the end of the run: a chord join that
    /// never fired (a member lost or rejected), a chain whose next step was never published.
    case stuckPipeline = "stuck_pipeline"
    /// A periodic entry's run sent twice for one due time (beats without the lock, an offset clock),
    /// beyond what `invariants.periodic_duplicate` allows.
    case periodicDuplicate = "periodic_duplicate"
    /// A periodic entry's due time with no send (no beat running, a lock takeover, the starting
    /// deadline, an offset clock), beyond what `invariants.periodic_missed` allows.
    case periodicMissed = "periodic_missed"

    /// How reports name it.
    public var title: String {
        switch self {
        case .lostTask: return "lost task"
        case .duplicateNotAllowed: return "duplicate execution the configuration does not allow"
        case .etaOrExpiry: return "run before its eta or after it expired"
        case .tooManyAttempts: return "more attempts than max_retries + 1"
        case .liveness: return "backlog not drained in time after the faults stopped"
        case .autoscaleBounds: return "autoscaler out of its bounds"
        case .stuckPipeline: return "pipeline that never finished"
        case .periodicDuplicate: return "periodic task sent twice for one due time"
        case .periodicMissed: return "periodic task due and never sent"
        }
    }

    public static func < (lhs: Invariant, rhs: Invariant) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Parses a name as `--invariant` takes it (the raw value, or its title).
    public init?(named text: String) {
        guard let found = Invariant.allCases.first(where: { $0.rawValue == text || $0.title == text }) else { return nil }
        self = found
    }
}

/// One invariant a run broke: what happened, and the tasks (or workers) it happened to.
public struct Breach: Sendable, Codable, Equatable {
    public var invariant: Invariant
    /// One line: how often and the first example, e.g. "59× visibility_timeout passed while ...".
    public var detail: String
    /// The affected tasks (or workers, for the autoscaler), a few at most, first first.
    public var subjects: [String]

    public init(invariant: Invariant, detail: String, subjects: [String]) {
        self.invariant = invariant; self.detail = detail; self.subjects = subjects
    }
}
