import CeleryWire
import RedisClient
import WorkerCore

/// Kombu's restore: `restore_by_tag` gives one delivery back; `restore_visible` is the periodic
/// sweep that gives back every delivery older than the visibility timeout, under `unacked_mutex`
/// (monitor-visibility-timeout-restore.txt shows each command).
extension RedisBroker {
    /// Gives a delivery back to its queue if it is still in `unacked`: `WATCH unacked; HGET unacked
    /// <tag>; MULTI; ZREM; HDEL; RPUSH (or LPUSH when leftmost) <list> <message marked redelivered>;
    /// EXEC`. Returns whether a message was restored (false when another worker got there first or
    /// the tag was already acknowledged).
    @discardableResult
    public func restore(deliveryTag tag: String, leftmost: Bool = false) throws(RedisError) -> Bool {
        let tagBytes = Array(tag.utf8)
        _ = try connection.command([Array("WATCH".utf8), Array(KombuKeys.unacked.utf8)])
        let stored = try connection.command([Array("HGET".utf8), Array(KombuKeys.unacked.utf8), tagBytes])
        guard let entryBytes = stored.bytes else {
            _ = try connection.command(["UNWATCH"].bytes)
            return false
        }
        var commands: [[[UInt8]]] = [
            ["MULTI"].bytes,
            [Array("ZREM".utf8), Array(KombuKeys.unackedIndex.utf8), tagBytes],
            [Array("HDEL".utf8), Array(KombuKeys.unacked.utf8), tagBytes],
        ]
        if let (key, message) = Self.redeliverable(entryBytes, prioritySteps: options.prioritySteps) {
            commands.append([Array((leftmost ? "LPUSH" : "RPUSH").utf8), Array(key.utf8), message])
        }
        commands.append(["EXEC"].bytes)
        let replies = try connection.pipeline(commands)
        try Self.check(replies, what: "restore \(tag)")
        // A nil EXEC reply means `unacked` changed under WATCH: someone else restored or acked it.
        return !(replies.last?.isNull ?? true)
    }

    /// The restore sweep (`QoS.restore_visible`): take `unacked_mutex` (`SET NX PX`), list the
    /// deliveries scored at or before now − visibility_timeout newest first (`ZRANGE … BYSCORE REV`),
    /// restore each, release the mutex only if it is still ours. Returns the restored tags; an
    /// empty list when another worker holds the mutex.
    public func restoreVisible(now: Instant, mutexToken: String) throws(RedisError) -> [String] {
        let taken = try connection.command([
            Array("SET".utf8), Array(KombuKeys.unackedMutex.utf8), Array(mutexToken.utf8), Array("NX".utf8),
            Array("PX".utf8), Array(String(options.unackedMutexExpire.microseconds / 1000).utf8),
        ])
        guard taken.stringValue == "OK" else { return [] }
        defer { _ = try? releaseMutex(token: mutexToken) }
        let ceiling = Self.score(now - options.visibilityTimeout)
        let listed = try connection.command([
            Array("ZRANGE".utf8), Array(KombuKeys.unackedIndex.utf8), Array(ceiling.utf8), Array("0".utf8),
            Array("BYSCORE".utf8), Array("REV".utf8), Array("WITHSCORES".utf8),
        ])
        var restored: [String] = []
        let items = listed.arrayValue ?? []
        var index = 0
        while index + 1 < items.count {
            if let tag = items[index].stringValue, try restore(deliveryTag: tag) { restored.append(tag) }
            index += 2
        }
        return restored
    }

    /// Deletes `unacked_mutex` only if it still holds our token (Kombu's Lua release script).
    private func releaseMutex(token: String) throws(RedisError) {
        let script = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
        _ = try connection.command([Array("EVAL".utf8), Array(script.utf8), Array("1".utf8),
                                    Array(KombuKeys.unackedMutex.utf8), Array(token.utf8)])
    }

    /// From an `unacked` hash value `[message, exchange, routing_key]`: the list to push back to
    /// (the routing key's list for the message's priority) and the message marked redelivered
    /// (`Redelivery.mark`), as Kombu's `_do_restore_message` writes it (capture 62). The message
    /// is kept as JSON, not decoded as a task: a restore gives back whatever Kombu stored.
    static func redeliverable(_ entry: [UInt8], prioritySteps: [Int]) -> (String, [UInt8])? {
        guard let parsed = try? JSONValue.parse(entry), let triple = parsed.arrayValue, triple.count == 3,
              case .object(var message) = triple[0], let routingKey = triple[2].stringValue else { return nil }
        Redelivery.mark(&message)
        let priority = message["properties"]?.objectValue?["priority"]?.intValue.map { Int($0) }
        let key = PriorityQueueKeys.listKey(queue: routingKey, priority: priority, steps: prioritySteps)
        return (key, JSONValue.object(message).serialized())
    }
}
