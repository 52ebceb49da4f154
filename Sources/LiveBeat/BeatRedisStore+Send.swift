import CeleryWire
import RedisClient

/// Sending an entry: the publish a Celery client does (`RedisBroker.publish`: the queue's Kombu
/// bindings, LPUSH to the list of the message's priority step) and the entry's last run, written
/// together and only while this beat holds the lock.
extension BeatRedisStore {
    /// Publishes `message` to `queue` and records `entry`'s last run as `unixSeconds`, in one Lua
    /// script that first checks the lock still holds this beat's id (when `requireLock`).
    ///
    /// The check and the writes being one script is the point: a beat that was paused past its
    /// lock's expiry (SIGSTOP, a long GC or swap stall, a VM migration) and resumes still believes
    /// it holds the lock, but while it was gone another beat took over; its send is refused here
    /// (false, nothing written) instead of sending the entry a second time. Checking the lock with
    /// one command and pushing with another would leave a gap for exactly that pause.
    ///
    /// Pushing and recording in one script also means a crash or a lost connection leaves either
    /// both or neither, so a restarted beat neither repeats the run nor drops it.
    ///
    /// - Parameters:
    ///   - message: the Kombu envelope's bytes, sent as they are (binary-safe, explicit lengths).
    ///   - priority: the message's priority (nil: 0), mapped to a list by `PriorityQueueKeys`
    ///     with `prioritySteps`, which must be the workers' `priority_steps`.
    ///   - requireLock: false to send whoever holds the lock (a one-off `beat --once`, tests).
    /// - Returns: whether it sent; false only when `requireLock` and the lock is not this beat's.
    public func send(_ message: [UInt8], queue: String, priority: Int?,
                     prioritySteps: [Int] = PriorityQueueKeys.defaultSteps,
                     entry: String, unixSeconds: Double, requireLock: Bool = true) throws(RedisError) -> Bool {
        let listKey = PriorityQueueKeys.listKey(queue: queue, priority: priority, steps: prioritySteps)
        let scriptKeys = [keys.lock, KombuKeys.binding(queue), KombuKeys.bindingPermanent(queue), listKey, keys.lastRun]
        let arguments: [[UInt8]] = [
            Array((requireLock ? "1" : "0").utf8), Array(holderID.utf8), Array(KombuKeys.bindingMember(queue).utf8),
            message, Array(entry.utf8), Array(BeatRedisKeys.lastRunText(unixSeconds: unixSeconds).utf8),
        ]
        let reply = try evaluate(BeatScripts.send, keys: scriptKeys, arguments: arguments,
                                 what: "send beat entry \(entry) to \(queue)")
        guard let sent = reply.integerValue, sent == 0 || sent == 1 else {
            throw serverError("send beat entry \(entry) to \(queue): unexpected script reply \(reply)")
        }
        return sent == 1
    }
}
