import CeleryWire
import RedisClient
import WorkerCore

/// Fetching several messages in one round trip when the queues have them.
///
/// Kombu pops one message per BRPOP and records it with a second command. When the prefetch
/// window has room for several and the lists are not empty, this script does the same for up to
/// that many messages at once, atomically: RPOP from the keys in order, and for each message that
/// is a Kombu envelope, ZADD/HSET it into `unacked_index`/`unacked` exactly as Kombu would (the
/// hash value is `[message, exchange, routing_key]` with the message's bytes verbatim). Values that
/// are not envelopes are returned unrecorded so the worker can dead-letter them. When nothing is
/// there, the worker falls back to a blocking BRPOP.
///
/// A fetch whose reply the worker stopped waiting for (the socket timeout passed: a frozen or
/// partitioned server) may still run when the server comes back, and would strand what it pops in
/// `unacked` until the visibility timeout (an hour), with nobody to run it. So the script carries
/// the server time after which its caller no longer waits (`ARGV[3]`, in the server's clock as
/// measured at the first fetch) and pops nothing once that has passed.
///
/// The delivery tag, exchange and routing key are read without decoding the ~1 KB message (the
/// decode was a fifth of the script's cost): `member` returns the value of a string member
/// `"name": "..."` that occurs once in the message, unescaped, and nil when it is absent, repeated
/// or escaped; `scan` returns the three, or nil when any is not plainly there once, and the script
/// then decodes the JSON. The worker checks the tag it is given is the properties' own. The
/// comments are here, not in the script: its text travels with every EVAL.
extension RedisBroker {
    static let fetchBatchScript = """
    local function member(value, name)
      local key = '"' .. name .. '": "'
      local at = string.find(value, key, 1, true)
      if not at or string.find(value, key, at + 1, true) then return nil end
      local text = string.match(value, '^([^"\\\\]*)"', at + #key)
      return text
    end
    local function scan(value)
      if string.sub(value, 1, 1) ~= '{' then return nil end
      local tag = member(value, 'delivery_tag')
      if not tag or tag == '' then return nil end
      local exchange = member(value, 'exchange')
      local routing = member(value, 'routing_key')
      if not exchange or not routing then return nil end
      return tag, exchange, routing
    end
    local out = {}
    local limit = tonumber(ARGV[1])
    local stale_after = tonumber(ARGV[3])
    if stale_after > 0 then
      pcall(redis.replicate_commands)
      local now = redis.call('TIME')
      if tonumber(now[1]) * 1000000 + tonumber(now[2]) > stale_after then return out end
    end
    for i = 3, #KEYS do
      local key = KEYS[i]
      local queue = string.match(key, '^(.-)\\6\\22%d+$') or key
      while #out < limit * 3 do
        local value = redis.call('RPOP', key)
        if not value then break end
        local tag, exchange, routing = scan(value)
        if tag == nil then
          tag, exchange, routing = '', '', nil
          local ok, message = pcall(cjson.decode, value)
          if ok and type(message) == 'table' and type(message['properties']) == 'table' then
            local properties = message['properties']
            if type(properties['delivery_tag']) == 'string' then tag = properties['delivery_tag'] end
            local info = properties['delivery_info']
            if type(info) == 'table' then
              if type(info['exchange']) == 'string' then exchange = info['exchange'] end
              if type(info['routing_key']) == 'string' then routing = info['routing_key'] end
            end
          end
        end
        if tag ~= '' then
          redis.call('ZADD', KEYS[2], ARGV[2], tag)
          redis.call('HSET', KEYS[1], tag, '[' .. value .. ', ' .. cjson.encode(exchange) .. ', ' .. cjson.encode(routing or queue) .. ']')
        end
        table.insert(out, queue)
        table.insert(out, value)
        table.insert(out, tag)
      end
    end
    return out
    """

    /// Pops and records up to `limit` messages without blocking; empty when the lists are empty.
    public func fetchBatch(keys: [String], limit: Int, now: Instant) throws(RedisError) -> [Delivery] {
        try Self.deliveries(fromFetchReply: try connection.command(try fetchBatchCommand(keys: keys, limit: limit, now: now)))
    }

    /// The batch fetch as one command, for a caller that pipelines it behind its writes and reads
    /// the reply later (`deliveries(fromFetchReply:)`). Build it just before sending it: it carries
    /// the server time after which the script pops nothing (this connection's socket timeout from now).
    public func fetchBatchCommand(keys: [String], limit: Int, now: Instant) throws(RedisError) -> [[UInt8]] {
        var arguments: [[UInt8]] = fetchScriptSHA.map { [CommandBytes.evalsha, $0] }
            ?? [CommandBytes.eval, Array(Self.fetchBatchScript.utf8)]
        arguments += [Array(String(keys.count + 2).utf8), CommandBytes.unacked, CommandBytes.unackedIndex]
        arguments.append(contentsOf: keys.map { Array($0.utf8) })
        arguments.append(Array(String(max(1, limit)).utf8))
        arguments.append(Array(Self.score(now).utf8))
        arguments.append(Array(String(try staleAfterServerMicros()).utf8))
        return arguments
    }

    /// What the batch-fetch script's reply holds: each popped value, recorded or unusable.
    public static func deliveries(fromFetchReply reply: RedisReply) throws(RedisError) -> [Delivery] {
        if case .error(let message) = reply { throw replyError(message, what: "fetch batch") }
        let items = reply.arrayValue ?? []
        var deliveries: [Delivery] = []
        deliveries.reserveCapacity(items.count / 3)
        var index = 0
        while index + 2 < items.count {
            let queue = items[index].stringValue ?? ""
            let raw = items[index + 1].bytes ?? []
            let tag = items[index + 2].stringValue ?? ""
            index += 3
            deliveries.append(Self.delivery(raw: raw, queue: queue, recordedTag: tag))
        }
        return deliveries
    }

    /// The server time (µs) after which this connection no longer waits for a command's reply: the
    /// server's clock read once (`TIME`) plus the monotonic time since, plus the socket timeout.
    /// 0 (no limit) when the connection waits for ever.
    /// Whether `prepareForPipelining` has something to do: read the server's clock (for the fetch's
    /// deadline) or load the fetch and result scripts.
    public var needsPreparation: Bool {
        (serverClock == nil && url.socket.socketTimeoutSeconds != nil) || fetchScriptSHA == nil || storeScriptSHA == nil
    }

    /// Forgets the loaded scripts (the server answered NOSCRIPT), so the next preparation loads them.
    public func forgetScripts() {
        fetchScriptSHA = nil
        storeScriptSHA = nil
    }

    /// Reads the server's clock and loads the fetch and result scripts (`SCRIPT LOAD`), so the
    /// commands a caller pipelines later need no round trip of their own and name the scripts by
    /// their SHA1 (`EVALSHA`): Redis then neither reads nor hashes their text each time. A server
    /// that lost its scripts (SCRIPT FLUSH, a restart) answers NOSCRIPT, which counts as a lost
    /// connection: the caller reconnects, which loads them again.
    public func prepareForPipelining() throws(RedisError) {
        _ = try staleAfterServerMicros()
        let replies = try connection.pipeline([[Array("SCRIPT".utf8), Array("LOAD".utf8), Array(Self.fetchBatchScript.utf8)],
                                               [Array("SCRIPT".utf8), Array("LOAD".utf8), Array(RedisResultBackend.storeScript.utf8)]])
        guard replies.count == 2, let fetch = replies[0].bytes, let store = replies[1].bytes else {
            throw RedisBroker.replyError(replies.compactMap(\.errorMessage).first ?? "SCRIPT LOAD gave no SHA1", what: "load scripts")
        }
        fetchScriptSHA = fetch
        storeScriptSHA = store
    }

    func staleAfterServerMicros() throws(RedisError) -> Int64 {
        guard let timeout = url.socket.socketTimeoutSeconds else { return 0 }
        if serverClock == nil {
            let parts = try connection.command("TIME").arrayValue ?? []
            guard parts.count == 2, let seconds = Int64(parts[0].stringValue ?? ""), let micros = Int64(parts[1].stringValue ?? "") else {
                return 0
            }
            serverClock = (seconds * 1_000_000 + micros, ContinuousClock.now)
        }
        guard let (serverMicros, readAt) = serverClock else { return 0 }
        let elapsed = (ContinuousClock.now - readAt).components
        let elapsedMicros = elapsed.seconds * 1_000_000 + elapsed.attoseconds / 1_000_000_000_000
        return serverMicros + elapsedMicros + Int64(timeout * 1_000_000)
    }

    /// Interprets a value the script popped: recorded under `recordedTag`, or unusable.
    static func delivery(raw: [UInt8], queue: String, recordedTag: String) -> Delivery {
        // The common case, decoded without a JSON tree; the script read the tag without decoding
        // the JSON, so it must be the properties' own.
        if !recordedTag.isEmpty, let message = TaskMessage.decodeDirect(raw), message.deliveryTag == recordedTag {
            return .message(ReceivedMessage(content: .task(message), raw: raw, queue: queue, deliveryTag: recordedTag,
                                            redelivered: message.deliveryInfo?.redelivered ?? false))
        }
        guard !recordedTag.isEmpty, case .object(let envelope)? = try? JSONValue.parse(raw) else {
            let reason = recordedTag.isEmpty ? "not a Kombu envelope with a delivery tag" : "not JSON"
            return .unusable(raw: raw, queue: queue, reason: reason, recordedTag: recordedTag.isEmpty ? nil : recordedTag)
        }
        // The script read the tag without decoding the JSON: it must be the properties' own.
        guard envelope["properties"]?.objectValue?["delivery_tag"]?.stringValue == recordedTag else {
            return .unusable(raw: raw, queue: queue, reason: "properties.delivery_tag is not the message's delivery tag",
                             recordedTag: recordedTag)
        }
        let redelivered = envelope["properties"]?.objectValue?["delivery_info"]?.objectValue?["redelivered"]?.boolValue ?? false
        return .message(ReceivedMessage(content: .envelope(envelope), raw: raw, queue: queue, deliveryTag: recordedTag,
                                        redelivered: redelivered))
    }
}
