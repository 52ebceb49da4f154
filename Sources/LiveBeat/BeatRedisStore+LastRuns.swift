import RedisClient

/// The last-run hash (`<prefix>:last_run`: entry → unix seconds, 6 decimals), which `send` writes
/// with each push and a starting beat reads to resume its schedule.
extension BeatRedisStore {
    /// Every entry's last send, in unix seconds (HGETALL). A field whose value is not a time is an
    /// error naming the entry and the text, not skipped: skipping would make the entry look never
    /// run and be sent again at once.
    public func lastRuns() throws(BeatStoreError) -> [String: Double] {
        let reply: RedisReply
        do {
            reply = try connection.command("HGETALL", keys.lastRun)
        } catch {
            throw .redis(error)
        }
        if let message = reply.errorMessage {
            throw .redis(serverError("read the beat last runs \(keys.lastRun): \(message)"))
        }
        guard let pairs = reply.pairs else {
            throw .redis(serverError("read the beat last runs \(keys.lastRun): unexpected reply \(reply)"))
        }
        var runs: [String: Double] = [:]
        for (field, value) in pairs {
            let entry = String(decoding: field, as: UTF8.self)
            let text = String(decoding: value, as: UTF8.self)
            guard let seconds = BeatRedisKeys.parseLastRun(text) else {
                throw .malformedLastRun(hash: keys.lastRun, entry: entry, text: text)
            }
            runs[entry] = seconds
        }
        return runs
    }

    /// Records `entry`'s last run without sending anything (HSET), e.g. to mark a new entry as
    /// just run so it waits a full interval, or to set up a test.
    public func recordLastRun(entry: String, unixSeconds: Double) throws(RedisError) {
        let reply = try connection.command("HSET", keys.lastRun, entry, BeatRedisKeys.lastRunText(unixSeconds: unixSeconds))
        if let message = reply.errorMessage {
            throw serverError("record the last run of beat entry \(entry) in \(keys.lastRun): \(message)")
        }
    }

    /// Forgets the last runs of `entries` (HDEL), or of every entry when nil (DEL), e.g. for entries
    /// removed from the schedule; a forgotten entry counts as never run.
    public func clearLastRuns(_ entries: [String]? = nil) throws(RedisError) {
        if let entries, entries.isEmpty { return }
        let command = entries.map { ["HDEL", keys.lastRun] + $0 } ?? ["DEL", keys.lastRun]
        let reply = try connection.command(command)
        if let message = reply.errorMessage {
            throw serverError("clear beat last runs in \(keys.lastRun): \(message)")
        }
    }
}
