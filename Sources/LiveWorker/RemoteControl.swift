import CeleryWire
import Foundation
import Logging
import WorkerCore

/// Answering Celery's remote control on the main loop (celery/worker/pidbox.py `Pidbox.on_message`
/// → kombu/pidbox.py `Node.dispatch` → celery/worker/control.py). Requests arrive through the
/// bounded `ControlQueue`; a batch of at most `ControlQueue.batchLimit` is answered per loop turn.
///
/// Commands that change what the worker does go to `core.control(...)`, which decides and answers;
/// the driver only reads state for inspections. Replies are encoded here and sent by the
/// `PidboxReplier` thread. The mailbox keeps its own Lamport clock (kombu's `Node` clock, the
/// reply `headers.clock`): max(own, received) + 1 on receipt, + 1 for the reply (README, "What
/// the real worker accepts").
extension LiveWorkerDriver {
    /// Takes a batch of waiting requests and answers them; asks for another turn when more wait.
    func answerControlRequests(into out: inout [WorkerDirective]) {
        guard let controlQueue else { return }
        let (batch, more) = controlQueue.take()
        for request in batch {
            answer(request, into: &out)
            apply(&out)
        }
        if more { inbox.post(.controlWaiting) }
    }

    func answer(_ request: PidboxRequest, into out: inout [WorkerDirective]) {
        mailboxClock = max(mailboxClock, request.clock ?? 0) + 1
        guard let value = value(for: request, into: &out), let replyTo = request.replyTo else { return }
        mailboxClock += 1
        let reply = PidboxReply(hostname: settings.core.hostname, value: value, ticket: request.ticket, clock: mailboxClock)
        replier?.send(routingKey: replyTo.routingKey,
                      payload: reply.encode(routingKey: replyTo.routingKey, deliveryTag: UUID().uuidString.lowercased()))
    }

    /// The reply value of one request, or nil for none (`shutdown`, `election`, a hello from this node).
    func value(for request: PidboxRequest, into out: inout [WorkerDirective]) -> JSONValue? {
        let arguments = request.arguments
        switch request.method {
        case "ping": return PidboxReply.ok("pong")
        case "clock": return .object(["clock": .int(Int64(appClock))])
        case "stats": return statsValue()
        case "active", "dump_active": return .array(heldInfo([.running]))
        case "reserved", "dump_reserved": return .array(heldInfo([.prefetched, .rateLimited]))
        case "scheduled", "dump_schedule": return .array(heldInfo([.waitingForETA]))
        case "query_task": return queryTaskValue(arguments)
        case "revoked", "dump_revoked": return .array(revokedTaskIDs().map(JSONValue.string))
        case "registered", "dump_tasks": return registeredValue(arguments)
        case "active_queues": return activeQueuesValue()
        case "conf", "dump_conf": return confValue(arguments)
        case "report": return PidboxReply.ok(reportText())
        case "memsample": return memsampleValue()
        case "memdump": return memdumpValue()
        case "objgraph": return PidboxReply.error("ImportError('Requires the objgraph library')")
        case "heartbeat":
            // celery/worker/control.py `heartbeat`: the worker sends a heartbeat now, then replies None.
            queueWorkerEvent(.heartbeat)
            flushWrites()
            return .null
        case "hello": return helloReply(arguments)
        case "election":
            logger.warning("remote control: ignored election (Lovage takes part in no election)")
            return nil
        default:
            return controlValue(request, into: &out)
        }
    }

    /// mingle's `hello` (control.py `hello`): another node's hello gets this worker's revoked ids and
    /// clock; a node's own hello gets nothing (it would sync with itself).
    func helloReply(_ arguments: JSONObject) -> JSONValue? {
        let from = arguments["from_node"]?.stringValue ?? ""
        guard from != settings.core.hostname else { return nil }
        if let revoked = arguments["revoked"]?.arrayValue?.compactMap(\.stringValue), !revoked.isEmpty {
            learnRevoked(revoked)
        }
        logger.info("sync with \(from)")
        return .object(["revoked": .array(revokedTaskIDs().map(JSONValue.string)), "clock": .int(Int64(appClock))])
    }
}
