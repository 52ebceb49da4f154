import RedisClient

/// The lock: `<prefix>:lock` holds the sending beat's id with a PX expiry. The sender renews it
/// well inside the ttl; a beat that stops renewing (crashed, paused, cut off) loses it when the key
/// expires, and the first standby to ask next takes it. A stopping beat releases it at once.
extension BeatRedisStore {
    /// Takes the lock if it is free, or renews it if it is this beat's, in one script, so two beats
    /// asking at the same moment cannot both get it.
    ///
    /// - Parameter ttlMilliseconds: how long the lock lasts unless renewed again (> 0). Renew at a
    ///   fraction of it (a third, say), so one late renewal does not hand the lock over.
    public func acquireOrRenew(ttlMilliseconds: Int64) throws(RedisError) -> BeatLockStatus {
        precondition(ttlMilliseconds > 0, "a beat lock's ttl must be positive, not \(ttlMilliseconds) ms")
        let reply = try evaluate(BeatScripts.acquireOrRenew, keys: [keys.lock],
                                 arguments: [Array(holderID.utf8), Array(String(ttlMilliseconds).utf8)],
                                 what: "acquire or renew the beat lock \(keys.lock)")
        guard let parts = reply.arrayValue, parts.count == 3, let outcome = parts[0].integerValue,
              let holder = parts[1].bytes, let pttl = parts[2].integerValue else {
            throw serverError("acquire or renew the beat lock \(keys.lock): unexpected script reply \(reply)")
        }
        switch outcome {
        case 1: return .acquired
        case 2: return .renewed
        default:
            return .heldByOther(holderID: String(decoding: holder, as: UTF8.self),
                                remainingMilliseconds: pttl >= 0 ? pttl : nil)
        }
    }

    /// Deletes the lock if, and only if, it is still this beat's (compare-and-delete in one
    /// script), so a standby takes over at its next try instead of waiting out the expiry. A beat
    /// whose lock expired and was taken by another leaves that one's lock alone.
    ///
    /// - Returns: whether a lock of this beat's was deleted.
    @discardableResult
    public func release() throws(RedisError) -> Bool {
        let reply = try evaluate(BeatScripts.release, keys: [keys.lock], arguments: [Array(holderID.utf8)],
                                 what: "release the beat lock \(keys.lock)")
        return reply.integerValue == 1
    }

    /// Who holds the lock and for how many more milliseconds (nil: no expiry), or nil when free;
    /// read-only, for status output and tests.
    public func lockHolder() throws(RedisError) -> (holderID: String, remainingMilliseconds: Int64?)? {
        let replies = try connection.pipeline([["GET", keys.lock].map { Array($0.utf8) },
                                               ["PTTL", keys.lock].map { Array($0.utf8) }])
        if let message = replies.lazy.compactMap(\.errorMessage).first {
            throw serverError("read the beat lock \(keys.lock): \(message)")
        }
        guard replies.count == 2, let holder = replies[0].bytes, let pttl = replies[1].integerValue,
              pttl != -2 else { return nil }
        return (String(decoding: holder, as: UTF8.self), pttl >= 0 ? pttl : nil)
    }
}
