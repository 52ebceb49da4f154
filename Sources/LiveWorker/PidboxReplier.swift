import CeleryWire
import Foundation
import Logging
import RedisClient

/// Sends remote-control replies off the main loop (kombu/pidbox.py `Node.reply` →
/// `Producer.publish` to the direct exchange `reply.celery.pidbox`): a thread with its own
/// connection reads `_kombu.binding.reply.celery.pidbox` and LPUSHes the reply to every queue
/// bound with the request's `reply_to.routing_key`. No such binding: the reply is lost, as with
/// Kombu (capture 82). The queue is bounded (`capacity`); beyond it replies are dropped with a
/// rate-limited warning, so a flood of requests cannot grow memory without bound.
final class PidboxReplier: @unchecked Sendable {
    static let capacity = 1000

    struct Outgoing {
        var routingKey: String
        var payload: [UInt8]
    }

    let url: RedisURL
    let logger: Logger
    private let condition = NSCondition()
    private var waiting: [Outgoing] = []
    private var stopping = false
    private var dropped = 0
    private var lastWarning = Date.distantPast
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private var connection: RedisConnection?

    init(url: RedisURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "lovage-pidbox-reply"
        self.thread = thread
        thread.start()
    }

    /// Queues a reply (already encoded for `routingKey`).
    func send(routingKey: String, payload: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        guard waiting.count < Self.capacity else {
            dropped += 1
            if Date().timeIntervalSince(lastWarning) >= 10 {
                lastWarning = Date()
                logger.warning("remote control: \(dropped) reply(ies) dropped, \(Self.capacity) already waiting to be sent")
                dropped = 0
            }
            return
        }
        waiting.append(Outgoing(routingKey: routingKey, payload: payload))
        condition.signal()
    }

    /// Sends what is queued, then stops (a shutdown's last replies still go out).
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        if thread != nil { _ = finished.wait(timeout: .now() + 3) }
    }

    private func run() {
        while true {
            condition.lock()
            while waiting.isEmpty && !stopping { condition.wait() }
            let batch = waiting
            waiting.removeAll(keepingCapacity: true)
            let done = stopping && batch.isEmpty
            condition.unlock()
            if done { break }
            deliver(batch)
        }
        connection?.close()
    }

    /// One SMEMBERS per batch, then one LPUSH per reply and bound queue, in one pipeline.
    private func deliver(_ batch: [Outgoing]) {
        var backoff = ReconnectBackoff()
        for attempt in 0..<3 {
            do {
                let connection = try usableConnection()
                let set = PidboxNames.bindingSet(exchange: PidboxNames.replyExchange())
                let members = (try connection.command("SMEMBERS", set).arrayValue ?? []).compactMap(\.stringValue).sorted()
                var commands: [[[UInt8]]] = []
                for reply in batch {
                    for member in members {
                        guard let queue = PidboxNames.queue(ofBindingMember: member, routingKey: reply.routingKey) else { continue }
                        commands.append([Array("LPUSH".utf8), Array(queue.utf8), reply.payload])
                    }
                }
                if !commands.isEmpty { _ = try connection.pipeline(commands) }
                return
            } catch {
                connection?.close()
                connection = nil
                if attempt == 0 { logger.error("remote control reply connection lost: \(error); reconnecting") }
                Thread.sleep(forTimeInterval: backoff.next())
            }
        }
        logger.error("remote control: \(batch.count) reply(ies) lost, Redis unreachable")
    }

    private func usableConnection() throws(RedisError) -> RedisConnection {
        if let connection, !connection.isBroken, !connection.isClosed { return connection }
        let fresh = try RedisConnection(url: url, connectTimeout: 5, commandTimeout: 10)
        connection = fresh
        return fresh
    }
}
