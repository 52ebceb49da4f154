import CeleryWire
import Foundation
import Logging
import RedisClient
import RemoteControl
import WorkerCore

/// Joining and leaving the mailbox, and mingle (celery/worker/consumer/mingle.py) at start.
extension LiveWorkerDriver {
    /// The app's Lamport clock (`app.clock.value`), which `clock`, `stats` and `hello` report.
    var appClock: Int { events?.clock ?? 0 }

    func startRemoteControl() {
        guard let controlQueue else { return }
        let replier = PidboxReplier(url: settings.brokerURL, logger: logger)
        replier.start()
        self.replier = replier
        let inbox = self.inbox
        let mailbox = PidboxMailbox(url: settings.brokerURL, hostname: settings.core.hostname, queue: controlQueue,
                                    wake: { inbox.post(.controlWaiting) }, logger: logger)
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

    /// Mingle (capture 00/40, celery/worker/consumer/mingle.py): `hello` to every other node through
    /// the same client `lovage inspect` uses (Kombu's, with its own reply binding), replies read for
    /// 1 s, and every revoked id learnt fed to the core before consuming. Logs as Celery does.
    func mingle() {
        logger.info("mingle: searching for neighbors")
        var replies: [PidboxReply] = []
        do {
            let client = try MailboxClient(url: settings.brokerURL)
            replies = try client.call("hello", arguments: ["from_node": .string(settings.core.hostname), "revoked": .array([])],
                                      timeout: 1.0)
                .filter { $0.hostname != settings.core.hostname }
        } catch {
            logger.warning("mingle: \(error); skipped")
            return
        }
        guard !replies.isEmpty else {
            logger.info("mingle: all alone")
            return
        }
        var learnt: [String] = []
        for reply in replies {
            if case .object(let value) = reply.value {
                learnt += value["revoked"]?.arrayValue?.compactMap(\.stringValue) ?? []
                if let clock = value["clock"]?.intValue { mailboxClock = max(mailboxClock, clock) }
            }
        }
        logger.info("mingle: sync with \(replies.count) nodes")
        if !learnt.isEmpty { learnRevoked(learnt) }
    }
}
