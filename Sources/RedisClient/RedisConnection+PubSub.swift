#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHiredis

/// Subscribing: after `SUBSCRIBE`/`PSUBSCRIBE` the server pushes messages the connection never
/// asked for one by one, so they are read with `nextPushedReply(timeout:)`, which waits on the
/// socket with `poll` and returns nil when nothing came in time — the connection stays usable,
/// unlike a command timeout (which breaks it, see `RedisConnection`). A subscribed connection takes
/// no other command but more (P)SUBSCRIBEs (Redis' rule), so give it one job.
extension RedisConnection {
    /// A message the server pushed to a subscribed connection.
    public struct PushedMessage: Sendable, Equatable {
        /// The pattern that matched (`pmessage`), nil for a plain `message`.
        public var pattern: String?
        public var channel: String
        public var payload: [UInt8]
    }

    /// `PSUBSCRIBE pattern` (or `SUBSCRIBE channel` with `pattern: false`), waiting for the
    /// server's confirmation so no later publish is missed. Throws if the server refuses.
    public func subscribe(_ name: String, pattern: Bool = true) throws(RedisError) {
        try send([[Array((pattern ? "PSUBSCRIBE" : "SUBSCRIBE").utf8), Array(name.utf8)]])
        let replies = try receiveUnread()
        guard let first = replies.first, let kind = first.arrayValue?.first?.stringValue,
              kind == (pattern ? "psubscribe" : "subscribe") else {
            throw RedisError(.serverError, endpoint: url.redacted,
                             message: "\(url.redacted) did not confirm the subscription to \(name): \(replies)")
        }
    }

    /// The next pushed reply, waiting at most `timeout` seconds; nil if none came. A broken or
    /// closed connection throws `.connectionLost` (a subscriber then knows it may have missed some).
    public func nextPushedReply(timeout: Double) throws(RedisError) -> RedisReply? {
        let context = try usableContext()
        if let reply = try bufferedReply(context) { return reply }
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: Int((max(0, timeout) * 1000).rounded(.up)))
        let ready = poll(&descriptor, 1, milliseconds)
        if ready == 0 || (ready < 0 && errno == EINTR) { return nil }
        guard ready > 0, redisBufferRead(context) == REDIS_OK else { throw markBroken(context) }
        return try bufferedReply(context)
    }

    /// The next pushed message (`message` or `pmessage`), skipping subscription confirmations;
    /// nil when none came within `timeout` seconds.
    public func nextPushedMessage(timeout: Double) throws(RedisError) -> PushedMessage? {
        guard let reply = try nextPushedReply(timeout: timeout), let parts = reply.arrayValue,
              let kind = parts.first?.stringValue else { return nil }
        switch kind {
        case "pmessage" where parts.count == 4:
            return PushedMessage(pattern: parts[1].stringValue, channel: parts[2].stringValue ?? "",
                                 payload: parts[3].bytes ?? [])
        case "pong":
            pongsReceived += 1
            return nil
        case "message" where parts.count == 3:
            return PushedMessage(pattern: nil, channel: parts[1].stringValue ?? "", payload: parts[2].bytes ?? [])
        default:
            return nil
        }
    }

    /// `PING` on a subscribed connection (Kombu's `health_check_interval` for its subscriptions):
    /// the server answers with a `pong` push that `nextPushedMessage` counts in `pongsReceived`.
    /// A subscription to a server that stopped answering otherwise looks the same as a quiet one.
    public func sendSubscribedPing() throws(RedisError) {
        try send([[Array("PING".utf8)]])
        unreadReplies -= 1
    }

    /// A reply hiredis has already read from the socket, without reading more.
    private func bufferedReply(_ context: UnsafeMutablePointer<redisContext>) throws(RedisError) -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { throw markBroken(context) }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return RedisReply(converting: raw.assumingMemoryBound(to: redisReply.self))
    }
}
