/// What `acquireOrRenew` found: whether this beat holds the lock now, and if another beat does,
/// who and for how long, so a standby can say "standby: beat@x holds the lock for 12.3 s more".
public enum BeatLockStatus: Equatable, Sendable {
    /// The lock was free (never taken, released, or expired — possibly this beat's own, renewed too
    /// late) and is now this beat's for the ttl.
    case acquired
    /// The lock was this beat's and its expiry is pushed back to the full ttl.
    case renewed
    /// Another beat holds it. `remainingMilliseconds` is its PTTL when asked; nil when the key has
    /// no expiry (set by hand, not by a beat), which no beat will ever replace: delete it.
    case heldByOther(holderID: String, remainingMilliseconds: Int64?)

    /// True when this beat may send.
    public var isMine: Bool {
        switch self {
        case .acquired, .renewed: return true
        case .heldByOther: return false
        }
    }
}
