import CeleryWire
import Foundation
import RedisClient
import WorkerCore

/// Carrying out the core's directives against Redis and the thread pool.
extension LiveWorkerDriver {
    func apply(_ out: inout [WorkerDirective]) {
        var index = 0
        // Directives may append more (a child ready at once feeds the core again), so walk by index.
        while index < out.count {
            let directive = out[index]
            index += 1
            perform(directive, into: &out)
        }
        out.removeAll(keepingCapacity: true)
    }

    /// Writes the gathered results, then the gathered acks (Celery stores a result before it
    /// acknowledges a late-acked message), one round trip each. The main loop calls it once per
    /// batch of inputs, and every operation that must come after them calls it first.
    func flushWrites() {
        if !backendWrites.isEmpty {
            let commands = backendWrites
            backendWrites.removeAll(keepingCapacity: true)
            withBackend("store \(commands.count) result(s)") { backend throws(RedisError) in try backend.pipeline(commands) }
        }
        if !brokerWrites.isEmpty {
            let commands = brokerWrites
            brokerWrites.removeAll(keepingCapacity: true)
            withBroker("acknowledge") { broker throws(RedisError) in try broker.pipeline(commands, what: "acknowledge") }
        }
    }

    private func perform(_ directive: WorkerDirective, into out: inout [WorkerDirective]) {
        switch directive {
        case .fetch(let keys):
            if hasPendingDeliveries {
                feedNextDelivery(now: Self.clock(), into: &out)
            } else {
                fetcher.request(keys: keys, room: core.fetchRoom ?? 256)
            }
        case .ack(let tag):
            // The message stays known until its attempt ends: an early ack comes at the start, and
            // a retry still needs the message to build the next one.
            brokerWrites.append(contentsOf: RedisBroker.ackCommands(tag))
        case .reject(let tag, let requeue):
            if requeue {
                flushWrites()
                withBroker("reject \(tag)") { broker throws(RedisError) in try broker.reject(deliveryTag: tag, requeue: true) }
            } else {
                brokerWrites.append(contentsOf: RedisBroker.ackCommands(tag))
            }
        case .restore(let requests):
            flushWrites()
            for request in requests {
                withBroker("restore \(request.deliveryTag)") { broker throws(RedisError) in
                    try broker.restore(deliveryTag: request.deliveryTag)
                }
                messages[request.deliveryTag] = nil
            }
        case .execute(let slot, let execution, let request, _, _):
            execute(request, slot: slot, execution: execution)
        case .raiseSoftTimeLimit(let slot, let execution):
            softLimitFlags[execution]?.raise()
            prefork?.signalSoftLimit(slot: slot)
        case .killChild(let slot, let reason):
            if let prefork {
                log("[WARNING] slot \(slot): killing its child (\(reason.rawValue))")
                prefork.killChild(slot: slot)
            } else {
                // A thread cannot be killed: as in Celery's threads pool, a hard time limit or a
                // terminate only abandons the body (its late result is ignored by the core).
                slotThreads.abandon(slot: slot)
                log("[WARNING] slot \(slot): \(reason.rawValue) — the threads pool cannot kill a running body; its result will be ignored")
            }
        case .spawnChild(let slot):
            if let prefork {
                prefork.spawn(slot: slot)
            } else {
                // Threads need no start-up: the slot is ready at once.
                core.handle(.childReady(slot: slot), now: Self.clock(), into: &out)
            }
        case .replaceChild(let slot, let reason):
            if let prefork {
                log("[INFO] slot \(slot): replacing its child (\(reason.rawValue))")
                prefork.close(slot: slot)
                prefork.spawn(slot: slot)
            } else {
                core.handle(.childReady(slot: slot), now: Self.clock(), into: &out)
            }
        case .retireChild(let slot):
            prefork?.close(slot: slot)
        case .storeResult(let taskID, let record):
            let document = MessageTranslation.document(taskID: taskID, record: record, pid: getpid(),
                                                       nowMicros: Self.clock().microsecondsSinceEpoch)
            backendWrites.append(backend.storeCommand(document))
        case .publish(let next):
            publishRetry(next)
        case .restoreSweep:
            flushWrites()
            let restored = withBroker("restore sweep") { broker throws(RedisError) in
                try broker.restoreVisible(now: Self.clock(), mutexToken: mutexToken)
            } ?? []
            if !restored.isEmpty { log("[INFO] restored \(restored.count) unacknowledged message(s) past the visibility timeout") }
        case .taskEvent(let event):
            switch event.kind {
            case .succeeded, .failed, .retried, .revoked, .rejected: messages[event.deliveryTag] = nil
            case .received, .started: break
            }
            if settings.logTasks, event.kind != .succeeded {
                log("[INFO] \(event.kind.rawValue) \(event.taskName)[\(event.taskID)]\(event.detail.map { ": " + $0 } ?? "")")
            }
        case .stopped:
            log("[INFO] worker stopped")
        }
    }

    /// Celery's `Task.retry`: the next message is the current one with retries + 1, the new eta,
    /// parent_id = its own id and a fresh delivery tag (capture 41).
    private func publishRetry(_ next: TaskRequest) {
        flushWrites()
        guard let original = messages.values.first(where: { $0.id == next.id }) else {
            log("[ERROR] retry of \(next.id): the original message is no longer held")
            return
        }
        let message = original.retried(newETA: next.eta?.microsecondsSinceEpoch,
                                       newDeliveryTag: UUID().uuidString.lowercased())
        withBroker("publish retry of \(next.id)") { broker throws(RedisError) in
            try broker.publish(message.encode(), queue: next.queue, priority: message.priority)
        }
    }

    /// Runs a task body on its own thread; the result comes back through the inbox.
    private func execute(_ request: TaskRequest, slot: Int, execution: UInt64) {
        guard let message = messages[request.deliveryTag], let entry = registry.entry(named: request.name) else {
            inbox.post(.finished(slot: slot, execution: execution,
                                 result: .failure(ErrorDescription(type: "NotRegistered", message: request.name)), runtime: 0))
            return
        }
        if let prefork {
            prefork.send(slot: slot, ChildProtocol.job(execution: execution, request: request, message: message))
            return
        }
        let flag = SoftLimitFlag()
        softLimitFlags[execution] = flag
        let inbox = self.inbox
        let context = TaskContext(
            taskID: request.id, taskName: request.name, retries: request.retries, args: message.args,
            kwargs: message.kwargs, softTimeLimitExceeded: { flag.isRaised },
            updateState: { state, meta in
                inbox.post(.stateUpdated(slot: slot, execution: execution, state: state, meta: meta.serializedString()))
            })
        let body = entry.body
        slotThreads.run(slot: slot) {
            let started = Date()
            let result = body(context)
            inbox.post(.finished(slot: slot, execution: execution, result: result,
                                 runtime: Date().timeIntervalSince(started)))
        }
    }

    /// Keeps a message the worker cannot run: LPUSH a JSON record (reason, queue, time, the raw
    /// value in base64 so no byte is lost) to the dead-letter list, then acknowledge it if it was
    /// recorded in `unacked`. Never executed, never silently dropped.
    func deadLetter(raw: [UInt8], queue: String, reason: String, acknowledgeTag: String?) {
        flushWrites()
        deadLettered += 1
        log("[ERROR] dead-lettered a message from \(queue): \(reason)")
        let record = JSONValue.object([
            "reason": .string(reason), "queue": .string(queue),
            "at": .string(CeleryTimestamp.format(Self.clock().microsecondsSinceEpoch)),
            "raw_base64": .string(Data(raw).base64EncodedString()),
        ]).serialized()
        withBroker("dead-letter") { broker throws(RedisError) in
            try broker.pushDeadLetter(record, key: settings.deadLetterKey)
            if let acknowledgeTag { try broker.ack(deliveryTag: acknowledgeTag) }
        }
    }
}
