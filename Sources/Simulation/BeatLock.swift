import WorkerCore

/// One life of a beat process: what its lock id (`beat@host:pid:random`) stands for. A beat
/// restarted is a new process with a new id, so it cannot renew the lock its killed predecessor
/// left behind; it waits out the expiry like any standby.
struct BeatLife: Equatable {
    let beat: Int
    let generation: Int
}

/// The simulated `<prefix>:lock` key the beats share: who holds it and when it expires, in virtual
/// time. It does what `BeatScripts.acquireOrRenew` and `.release` do on Redis: take it when free
/// or expired, renew it when it is one's own, report the other holder and its remaining time, and
/// delete it only for its holder. A killed holder stops renewing; its id stays until the expiry.
struct BeatLock {
    /// Whose id the key holds; kept after the expiry (nothing deletes it) to name the last holder.
    private(set) var holder: BeatLife?
    private(set) var expiresAt = Instant(microsecondsSinceEpoch: 0)
    /// Who last released the lock (for naming a handover), nil once someone takes it.
    private(set) var releasedBy: BeatLife?

    enum Status: Equatable {
        /// Free (never taken, released or expired) and now this life's; `previous` held it last.
        case acquired(previous: BeatLife?)
        case renewed
        case heldByOther(holder: BeatLife, remaining: TimeSpan)
    }

    /// Whether the key exists now: a PX expiry passes at its instant.
    func isLive(now: Instant) -> Bool { holder != nil && now < expiresAt }

    func isHeld(by life: BeatLife, now: Instant) -> Bool { isLive(now: now) && holder == life }

    mutating func acquireOrRenew(_ life: BeatLife, now: Instant, ttl: TimeSpan) -> Status {
        if isLive(now: now), let holder {
            guard holder == life else { return .heldByOther(holder: holder, remaining: expiresAt - now) }
            expiresAt = now + ttl
            return .renewed
        }
        let previous = holder ?? releasedBy
        holder = life
        releasedBy = nil
        expiresAt = now + ttl
        return .acquired(previous: previous)
    }

    /// Compare-and-delete: true when the lock was this life's and is now free.
    mutating func release(_ life: BeatLife, now: Instant) -> Bool {
        guard isHeld(by: life, now: now) else { return false }
        holder = nil
        releasedBy = life
        return true
    }

    /// Who held it last, live or not: the holder, else who released it.
    var lastHolder: BeatLife? { holder ?? releasedBy }
}
