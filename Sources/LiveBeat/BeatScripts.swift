/// The Lua scripts behind `BeatRedisStore`. Redis runs a script with no other command in between,
/// which is what makes "check the lock, then write" safe. Every key a script touches is passed in
/// KEYS (never built inside the script), as Redis requires for scripts to be correct.
enum BeatScripts {
    /// KEYS: lock. ARGV: holder id, ttl in ms.
    /// Returns {1, me, ttl} when it took a free lock, {2, me, ttl} when it renewed its own, and
    /// {0, holder, pttl} when another holds it (pttl -1: the key has no expiry).
    static let acquireOrRenew = """
        local holder = redis.call('GET', KEYS[1])
        if not holder then
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return {1, ARGV[1], tonumber(ARGV[2])}
        end
        if holder == ARGV[1] then
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return {2, holder, tonumber(ARGV[2])}
        end
        return {0, holder, redis.call('PTTL', KEYS[1])}
        """

    /// KEYS: lock. ARGV: holder id. Deletes the lock only if it holds the id; returns 1 if deleted.
    static let release = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
        end
        return 0
        """

    /// KEYS: lock, `_kombu.binding.<q>`, `_kombu.binding_permanent.<q>`, the queue's list for the
    /// priority, the last-run hash. ARGV: "1" to require the lock (or "0"), holder id, binding
    /// member, message, entry name, last-run text.
    ///
    /// Returns 1 when sent, 0 when the lock is not the holder's (nothing written). The list and
    /// the hash are type-checked before any write, so a wrong-typed key fails the script before the
    /// message is pushed rather than after (a push without its last run would be repeated on restart).
    static let send = """
        if ARGV[1] == '1' and redis.call('GET', KEYS[1]) ~= ARGV[2] then
            return 0
        end
        local listType = redis.call('TYPE', KEYS[4])['ok']
        if listType ~= 'none' and listType ~= 'list' then
            return redis.error_reply('WRONGTYPE the queue key ' .. KEYS[4] .. ' is a ' .. listType .. ', not a list')
        end
        local hashType = redis.call('TYPE', KEYS[5])['ok']
        if hashType ~= 'none' and hashType ~= 'hash' then
            return redis.error_reply('WRONGTYPE the last-run key ' .. KEYS[5] .. ' is a ' .. hashType .. ', not a hash')
        end
        redis.call('SADD', KEYS[2], ARGV[3])
        redis.call('SADD', KEYS[3], ARGV[3])
        redis.call('LPUSH', KEYS[4], ARGV[4])
        redis.call('HSET', KEYS[5], ARGV[5], ARGV[6])
        return 1
        """
}
