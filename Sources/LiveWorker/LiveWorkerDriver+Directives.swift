import CeleryWire
import Foundation
import Logging
import RedisClient
import WorkerCore

/// Carrying out the core's directives against Redis and the thread pool.
extension LiveWorkerDriver {
    /// Carries out the directives in `out`, then feeds the core the inputs that produced, one at a
    /// time and in order, carrying out each one's directives before the next (see `FollowUpInputs`).
    func apply(_ out: inout [WorkerDirective]) {
        while true {
            for directive in out { perform(directive) }
            out.removeAll(keepingCapacity: true)
            guard let input = followUps.popFirst() else { break }
            core.handle(input, now: Self.clock(), into: &out)
        }
        finishedBody = nil
    }

    /// Writes the gathered results, then the gathered acks (Celery stores a result before it
    /// acknowledges a late-acked message): one round trip when both live on one server (Redis runs
    /// a connection's commands in order), else one each. The main loop calls it once per batch of
    /// inputs, and every operation that must come after the writes calls it first.
    func flushWrites() {
        if !resultsShareBrokerServer { flushBackendWrites() }
        let commands = takeBrokerWrites()
        guard !commands.isEmpty else { return }
        withBroker("store results and acknowledge") { broker throws(RedisError) in
            try broker.pipeline(commands, what: "store results and acknowledge")
        }
    }

    /// The main loop's writes: the gathered results and acks go out at once, with the fetch the core
    /// asked for first in the same pipeline, so one round trip carries a finished task's result and
    /// ack and brings the next message. The loop does not wait for Redis to answer: it waits for the
    /// replies in its `poll`, with the children's pipes (`readArrivedReplies`), and reads them all
    /// before it uses the connection for anything else (`completeWritesInFlight`). Redis runs a
    /// connection's commands in order, so a result still lands before its ack; the loop meanwhile
    /// hands the next task to a free child instead of sleeping through a round trip. Results on
    /// another server are stored, and answered, first. Only a fetch that finds the queues empty is
    /// handed to the fetcher thread, whose BRPOP blocks until a message comes.
    func sendWrites() {
        if !resultsShareBrokerServer { flushBackendWrites() }
        if broker.needsPreparation {
            // Reading the server's clock and loading the scripts are commands of their own: nothing
            // may be unread then. Without them the commands still work (EVAL with the text).
            completeWritesInFlight()
            try? broker.prepareForPipelining()
        }
        var commands = takeBrokerWrites()
        var fetch = fetchToSend
        fetchToSend = nil
        if let pending = fetch {
            do {
                // First in the batch: its reply does not wait behind the writes' (the window it
                // fills was counted by the core, which already took the acks into account).
                commands.insert(try broker.fetchBatchCommand(keys: pending.keys, limit: min(pending.room, Self.fetchBatchLimit),
                                                             now: Self.clock()), at: 0)
            } catch {
                // The broker is not answering: the fetcher thread waits the outage out on its own connection.
                fetch = nil
                fetcher.request(keys: pending.keys, room: pending.room)
            }
        }
        guard !commands.isEmpty else { return }
        if writesInFlight.count >= Self.writesInFlightLimit { completeWritesInFlight() }
        writesInFlight.append(commands: commands, fetch: fetch)
        do {
            try broker.send(commands)
        } catch {
            // The send broke the connection: completing reconnects and sends every unanswered batch again.
            completeWritesInFlight()
        }
    }

    /// The broker writes gathered so far (with the results first when they share its server), emptied.
    private func takeBrokerWrites() -> [[[UInt8]]] {
        var commands = brokerWrites
        if resultsShareBrokerServer { commands = takeResultWrites() + brokerWrites }
        brokerWrites.removeAll(keepingCapacity: true)
        return commands
    }

    /// The gathered results as store commands, emptied.
    private func takeResultWrites() -> [[[UInt8]]] {
        let pid = processID
        let scriptSHA = resultsShareBrokerServer ? broker.storeScriptSHA : nil
        let commands = pendingResults.map { pending in
            backend.storeCommand(MessageTranslation.document(taskID: pending.taskID, record: pending.record, pid: pid,
                                                             nowMicros: pending.nowMicros, children: pending.children),
                                 scriptSHA: scriptSHA)
        }
        pendingResults.removeAll(keepingCapacity: true)
        return commands
    }

    func flushBackendWrites() {
        guard !pendingResults.isEmpty else { return }
        let commands = takeResultWrites()
        withBackend("store \(commands.count) result(s)") { backend throws(RedisError) in try backend.pipeline(commands) }
    }

    /// Carries out one directive. What it tells the core back goes to `followUps`, never to the core
    /// directly: the core is not re-entered while its directives are carried out.
    private func perform(_ directive: WorkerDirective) {
        switch directive {
        case .fetch(let keys):
            if hasPendingDeliveries {
                followUps.append(takeNextDelivery())
            } else {
                fetchToSend = PendingFetch(keys: keys, room: core.fetchRoom ?? Self.fetchBatchLimit)
            }
        case .ack(let request):
            // The message stays known until its attempt ends: an early ack comes at the start, and
            // a retry still needs the message to build the next one.
            brokerWrites.append(contentsOf: RedisBroker.ackCommands(request.deliveryTag))
        case .reject(let request, let requeue):
            let tag = request.deliveryTag
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
            runningInfo[request.deliveryTag] = RunningInfo(startedAt: Date().timeIntervalSince1970, pid: prefork?.pid(slot: slot))
            execute(request, slot: slot, execution: execution)
        case .raiseSoftTimeLimit(let slot, let execution):
            softLimitFlags[execution]?.raise()
            prefork?.signalSoftLimit(slot: slot)
        case .killChild(let slot, let reason):
            if let prefork {
                logger.warning("slot \(slot): killing its child (\(reason.rawValue))")
                prefork.killChild(slot: slot)
            } else {
                // A thread cannot be killed: as in Celery's threads pool, a hard time limit or a
                // terminate only abandons the body (its late result is ignored by the core).
                slotThreads.abandon(slot: slot)
                logger.warning("slot \(slot): \(reason.rawValue) — the threads pool cannot kill a running body; its result will be ignored")
            }
        case .terminateChild(let slot, let signal):
            if let prefork {
                logger.info("slot \(slot): terminating its child with \(signal) (revoked with terminate)")
                prefork.signalChild(slot: slot, signal: Self.signalNumber(signal))
            } else {
                slotThreads.abandon(slot: slot)
                logger.warning("slot \(slot): terminate — the threads pool cannot stop a running body; its result will be ignored")
            }
        case .spawnChild(let slot):
            if let prefork {
                prefork.spawn(slot: slot)
            } else {
                // Threads need no start-up: the slot is ready at once.
                followUps.append(.childReady(slot: slot))
            }
        case .replaceChild(let slot, let reason):
            if let prefork {
                logger.info("slot \(slot): replacing its child (\(reason.rawValue))")
                prefork.close(slot: slot)
                prefork.spawn(slot: slot)
            } else {
                followUps.append(.childReady(slot: slot))
            }
        case .retireChild(let slot):
            prefork?.close(slot: slot)
        case .storeResult(let request, let record):
            // Encoded when the writes go out, so a freed slot's next job is not kept waiting.
            pendingResults.append(PendingResult(taskID: request.id, record: record, nowMicros: Self.clock().microsecondsSinceEpoch,
                                                children: pendingChildren.removeValue(forKey: request.id) ?? []))
        case .publish(let next, let current):
            publishRetry(next, of: current)
        case .canvas(let step):
            performCanvas(step)
        case .restoreSweep:
            flushWrites()
            let restored = withBroker("restore sweep") { broker throws(RedisError) in
                try broker.restoreVisible(now: Self.clock(), mutexToken: mutexToken)
            } ?? []
            if !restored.isEmpty { logger.info("restored \(restored.count) unacknowledged message(s) past the visibility timeout") }
        case .taskEvent(let event):
            if taskEventsOn { bufferCeleryEvent(event) }
            notifyObserver(event)
            switch event.kind {
            case .succeeded, .failed, .retried, .revoked, .rejected:
                messages[event.deliveryTag] = nil
                runningInfo[event.deliveryTag] = nil
            case .received, .started: break
            }
            if settings.logTasks, event.kind == .succeeded, let body = finishedBody, case .success(let value) = body.result {
                // Celery's LOG_SUCCESS (celery/app/trace.py): the value as saferepr shortens it to 1024 characters.
                logger.info("Task \(event.taskName)[\(event.taskID)] succeeded in \(body.runtimeSeconds)s: \(Self.saferepr(value))")
            } else if settings.logTasks, event.kind != .succeeded {
                logger.info("\(event.kind.rawValue) \(event.taskName)[\(event.taskID)]\(event.detail.map { ": " + $0 } ?? "")")
            }
        case .stopConsuming:
            giveBackUnfed()
        case .stopped:
            logger.info("worker stopped")
        }
    }

    /// Celery's `Task.retry`: the next attempt the core decided, written into the message of the
    /// delivery being retried (found by its tag) with a fresh delivery tag.
    private func publishRetry(_ next: TaskRequest, of current: TaskRequest) {
        flushWrites()
        guard let original = messages[current.deliveryTag] else {
            logger.error("retry of \(next.id): the message of delivery \(current.deliveryTag) is no longer held")
            return
        }
        let message = MessageTranslation.retryMessage(next: next, retrying: original,
                                                      deliveryTag: UUID().uuidString.lowercased())
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
        logger.error("dead-lettered a message from \(queue): \(reason)")
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

extension LiveWorkerDriver {
    /// A signal by Celery's names ("SIGTERM", "TERM", "KILL") or number; SIGTERM when unknown,
    /// as Celery's `signals.signum` defaults a terminate to TERM.
    static func signalNumber(_ name: String) -> Int32 {
        if let number = Int32(name) { return number }
        let bare = name.uppercased().hasPrefix("SIG") ? String(name.uppercased().dropFirst(3)) : name.uppercased()
        let known: [(String, Int32)] = [("TERM", SIGTERM), ("KILL", SIGKILL), ("INT", SIGINT), ("QUIT", SIGQUIT),
                                        ("HUP", SIGHUP), ("USR1", SIGUSR1), ("USR2", SIGUSR2)]
        return known.first { $0.0 == bare }?.1 ?? SIGTERM
    }
}
