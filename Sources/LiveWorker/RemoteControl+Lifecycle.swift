import CeleryWire
import Foundation
import RedisClient
import WorkerCore

/// Joining and leaving the mailbox, and mingle (celery/worker/consumer/mingle.py) at start.
extension LiveWorkerDriver {
    /// The app's Lamport clock (`app.clock.value`), which `clock`, `stats` and `hello` report.
    var appClock: Int { events?.clock ?? 0 }

    func startRemoteControl() {
        guard let controlQueue else { return }
        let replier = PidboxReplier(url: settings.brokerURL, log: log)
        replier.start()
        self.replier = replier
        let inbox = self.inbox
        let mailbox = PidboxMailbox(url: settings.brokerURL, hostname: settings.core.hostname, queue: controlQueue,
                                    wake: { inbox.post(.controlWaiting) }, log: log)
        mailbox.start()
        self.mailbox = mailbox
    }

    /// Leaves the mailbox (PUNSUBSCRIBE, SREM the binding, DEL the node queue), after the last
    /// replies went out.
    func stopRemoteControl() {
        mailbox?.stop()
        mailbox = nil
        replier?.stop()
        replier = nil
    }

    /// Mingle (capture 00/40): publish `hello` with this node's own reply binding, read replies for
    /// 1 s, and feed every revoked id learnt to the core before consuming. Logs as Celery does.
    func mingle() {
        log("[INFO] mingle: searching for neighbors")
        let oid = UUID().uuidString.lowercased()
        let replyQueue = PidboxNames.replyQueue(oid: oid)
        let replySet = PidboxNames.bindingSet(exchange: PidboxNames.replyExchange())
        let member = PidboxNames.bindingMember(routingKey: oid, queue: replyQueue)
        guard let connection = try? RedisConnection(url: settings.brokerURL, connectTimeout: 5, commandTimeout: 5) else {
            log("[WARNING] mingle: broker unreachable; skipped")
            return
        }
        defer { connection.close() }
        mailboxClock += 1
        let request = PidboxRequest(
            method: "hello", arguments: ["from_node": .string(settings.core.hostname), "revoked": .array([])],
            ticket: UUID().uuidString.lowercased(),
            replyTo: .init(exchange: PidboxNames.replyExchange(), routingKey: oid), clock: mailboxClock,
            expires: Date().timeIntervalSince1970 + 1)
        var replies: [PidboxReply] = []
        do {
            _ = try connection.command("SADD", replySet, member)
            _ = try connection.command([Array("PUBLISH".utf8), Array(PidboxNames.requestChannel(database: settings.brokerURL.database).utf8),
                                        request.encode(deliveryTag: UUID().uuidString.lowercased())])
            let deadline = Date().addingTimeInterval(1)
            while Date() < deadline {
                let wait = max(0.05, deadline.timeIntervalSinceNow)
                let reply = try connection.command("BRPOP", replyQueue, String(format: "%.2f", wait))
                guard let parts = reply.arrayValue, parts.count == 2, let payload = parts[1].bytes else { continue }
                guard let decoded = try? PidboxReply.decode(payload) else { continue }
                replies += decoded.filter { $0.ticket == request.ticket && $0.hostname != settings.core.hostname }
            }
        } catch {
            log("[WARNING] mingle: \(error)")
        }
        _ = try? connection.command("SREM", replySet, member)
        _ = try? connection.command("DEL", replyQueue)
        guard !replies.isEmpty else {
            log("[INFO] mingle: all alone")
            return
        }
        var learnt: [String] = []
        for reply in replies {
            if case .object(let value) = reply.value {
                learnt += value["revoked"]?.arrayValue?.compactMap(\.stringValue) ?? []
                if let clock = value["clock"]?.intValue { mailboxClock = max(mailboxClock, clock) }
            }
        }
        log("[INFO] mingle: sync with \(replies.count) nodes")
        if !learnt.isEmpty { learnRevoked(learnt) }
    }
}
