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

    /// What the first pipeline of `on_chord_part_return` read back.
    public struct ChordPartReply: Sendable, Equatable {
        public var readyCount: Int
        public var totalDiff: Int?
        public var size: Int?
    }

    /// One MULTI/EXEC as redis-py's pipeline sends it: ZADD the entry at its group_index, ZCOUNT,
    /// GET `.t`, GET `.s`, then EXPIRE the three keys to `result_expires`.
    public func chordPartReturn(groupID: String, groupIndex: Int?, entry: [UInt8]) throws(RedisError) -> ChordPartReply {
        let j = Array(ChordJoin.joinKey(groupID).utf8), t = Array(ChordJoin.totalDiffKey(groupID).utf8)
        let s = Array(ChordJoin.sizeKey(groupID).utf8)
        let replies = try connection.pipeline([
            ["MULTI"].bytes,
            [Array("ZADD".utf8), j, Array(ChordJoin.score(groupIndex: groupIndex).utf8), entry],
            [Array("ZCOUNT".utf8), j, Array("-inf".utf8), Array("+inf".utf8)],
            [Array("GET".utf8), t], [Array("GET".utf8), s],
            [Array("EXPIRE".utf8), j, expirySeconds], [Array("EXPIRE".utf8), t, expirySeconds],
            [Array("EXPIRE".utf8), s, expirySeconds],
            ["EXEC"].bytes,
        ])
        try RedisBroker.check(replies, what: "chord part return of \(groupID)")
        guard let results = replies.last?.arrayValue, results.count >= 4 else {
            throw RedisError.serverError("chord part return of \(groupID): the transaction was aborted")
        }
        func integer(_ r: RedisReply) -> Int? { r.integerValue.map(Int.init) ?? r.stringValue.flatMap { Int($0) } }
        return ChordPartReply(readyCount: integer(results[1]) ?? 0, totalDiff: integer(results[2]), size: integer(results[3]))
    }

    /// `ZRANGE .j 0 -1`: the members' entries in group_index order.
    public func chordEntries(groupID: String) throws(RedisError) -> [[UInt8]] {
        let reply = try connection.command(["ZRANGE", ChordJoin.joinKey(groupID), "0", "-1"].bytes)
        try RedisBroker.check([reply], what: "read chord \(groupID)")
        return (reply.arrayValue ?? []).compactMap(\.bytes)
    }

    /// DEL of `.j`, `.t`, `.s` once the body is applied.
    public func deleteChord(groupID: String) throws(RedisError) {
        let replies = try connection.pipeline([
            ["MULTI"].bytes, ["DEL", ChordJoin.joinKey(groupID)].bytes, ["DEL", ChordJoin.totalDiffKey(groupID)].bytes,
            ["DEL", ChordJoin.sizeKey(groupID)].bytes, ["EXEC"].bytes,
        ])
        try RedisBroker.check(replies, what: "delete chord \(groupID)")
    }
}
