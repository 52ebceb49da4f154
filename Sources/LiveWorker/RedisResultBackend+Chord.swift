import CeleryWire
import RedisClient

/// The Redis backend's chord commands (celery/backends/redis.py `set_chord_size`,
/// `on_chord_part_return` with `result_chord_ordered`, `_save_group`); what they mean is decided
/// in CeleryWire's `ChordJoin`.
extension RedisResultBackend {
    private var expirySeconds: [UInt8] { Array(String(max(1, resultExpires.microseconds / 1_000_000)).utf8) }

    /// `SET celery-taskset-meta-<gid>.s <size>`.
    public func setChordSize(groupID: String, size: Int) throws(RedisError) {
        let reply = try connection.command(["SET", ChordJoin.sizeKey(groupID), String(size)].bytes)
        try RedisBroker.check([reply], what: "set chord size of \(groupID)")
    }

    /// `GroupResult.save()`: SETEX `celery-taskset-meta-<gid>` and PUBLISH it, in one MULTI/EXEC.
    public func saveGroup(_ save: CanvasEffects.GroupSave) throws(RedisError) {
        let key = Array(ChordJoin.groupKey(save.groupID).utf8)
        let replies = try connection.pipeline([
            ["MULTI"].bytes, [Array("SETEX".utf8), key, expirySeconds, save.document],
            [Array("PUBLISH".utf8), key, save.document], ["EXEC"].bytes,
        ])
        try RedisBroker.check(replies, what: "save group \(save.groupID)")
    }

    /// What Celery 5.7's part-return script answered.
    public struct ChordPartReply: Sendable, Equatable {
        /// Members counted so far; -1 when the chord was already applied (`.c` is `done`).
        public var readyCount: Int
        public var totalDiff: Int?
        public var size: Int?
        /// This member completed the join and holds the dispatch claim: it applies the body.
        public var claimed: Bool
    }

    /// Celery 5.7's dispatch claim lasts `max(5, 2 × result_chord_join_timeout)` = 6 s at the
    /// default 3 s join timeout; once the results are read it is extended to 21 s for the publish
    /// (the capture's `EXPIRE .c 21`, Celery's default publish retry budget); the `done` marker
    /// stays `max(2 × claim, 300)` s.
    static let chordClaimSeconds = 6, chordPublishClaimSeconds = 21, chordDoneSeconds = 300

    /// `on_chord_part_return`'s script: count this member once (`.d`), ZADD its entry at its
    /// group_index, refresh the expiries, and take the dispatch claim if it completes the join.
    public func chordPartReturn(groupID: String, groupIndex: Int?, taskID: String, entry: [UInt8],
                                claimToken: String) throws(RedisError) -> ChordPartReply {
        let keys = [ChordJoin.joinKey(groupID), ChordJoin.totalDiffKey(groupID), ChordJoin.sizeKey(groupID),
                    ChordJoin.dedupeKey(groupID), ChordJoin.groupKey(groupID), ChordJoin.claimKey(groupID)]
        let expires = String(max(1, resultExpires.microseconds / 1_000_000))
        var command: [[UInt8]] = [Array("EVAL".utf8), Array(ChordScripts.partReturn.utf8), Array("6".utf8)]
        command += keys.map { Array($0.utf8) }
        command += [Array(taskID.utf8), entry, Array("1".utf8), Array(ChordJoin.score(groupIndex: groupIndex).utf8),
                    Array(expires.utf8), Array(expires.utf8), Array(String(Self.chordClaimSeconds).utf8),
                    Array(claimToken.utf8)]
        let reply = try connection.command(command)
        try RedisBroker.check([reply], what: "chord part return of \(groupID)")
        guard let values = reply.arrayValue, values.count == 4 else {
            throw RedisError.serverError("chord part return of \(groupID): unexpected script reply")
        }
        func integer(_ r: RedisReply) -> Int? { r.integerValue.map(Int.init) ?? r.stringValue.flatMap { Int($0) } }
        return ChordPartReply(readyCount: integer(values[0]) ?? 0, totalDiff: integer(values[1]),
                              size: integer(values[2]), claimed: integer(values[3]) == 1)
    }

    /// `ZRANGE .j 0 -1`: the members' entries in group_index order.
    public func chordEntries(groupID: String) throws(RedisError) -> [[UInt8]] {
        let reply = try connection.command(["ZRANGE", ChordJoin.joinKey(groupID), "0", "-1"].bytes)
        try RedisBroker.check([reply], what: "read chord \(groupID)")
        return (reply.arrayValue ?? []).compactMap(\.bytes)
    }

    /// The claim-extend script before the body is published; false when the claim was lost.
    public func extendChordClaim(groupID: String, claimToken: String) throws(RedisError) -> Bool {
        let reply = try connection.command(["EVAL", ChordScripts.claimExtend, "2", ChordJoin.claimKey(groupID),
                                            ChordJoin.sizeKey(groupID), claimToken,
                                            String(Self.chordPublishClaimSeconds)].bytes)
        try RedisBroker.check([reply], what: "extend the claim of chord \(groupID)")
        return reply.integerValue == 1
    }

    /// The cleanup script once the body is published: DEL `.j .t .s .d` and mark `.c` done.
    public func cleanupChord(groupID: String, claimToken: String) throws(RedisError) -> Bool {
        let reply = try connection.command(["EVAL", ChordScripts.cleanup, "5", ChordJoin.claimKey(groupID),
                                            ChordJoin.joinKey(groupID), ChordJoin.totalDiffKey(groupID),
                                            ChordJoin.sizeKey(groupID), ChordJoin.dedupeKey(groupID), claimToken,
                                            String(Self.chordDoneSeconds)].bytes)
        try RedisBroker.check([reply], what: "clean up chord \(groupID)")
        return reply.integerValue == 1
    }

    /// After a ChordError: drop the size so a late copy of a member does not fail the chord again
    /// (the saved results stay, as Celery leaves them).
    public func dropChordSize(groupID: String) throws(RedisError) {
        let reply = try connection.command(["DEL", ChordJoin.sizeKey(groupID)].bytes)
        try RedisBroker.check([reply], what: "drop the size of chord \(groupID)")
    }
}
