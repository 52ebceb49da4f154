import Reports
import Scenarios
import WorkerCore
import Workload

/// Carrying out a worker core's directives against the simulated broker and children: the
/// dispatch, and the acknowledgements, rejects, give-backs and restore sweeps it hands to the broker.
extension Simulator {
    /// Carries out a buffer of directives in order. Each one is moved out of the buffer (a
    /// payload-free `.restoreSweep` is left in its place for the buffer's reuse), so its payload is
    /// neither copied to be read nor released twice: iterating copied every directive, and clearing
    /// the buffer then destroyed it again, seven directives per task.
    /// Only the directives from `start` on are carried out: those before are placeholders an earlier
    /// call left in a reused buffer (`takeBuffer`).
    func apply(_ directives: inout [WorkerDirective], from start: Int = 0, worker: Int) {
        directives.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for index in start..<buffer.count {
                let directive = (base + index).move()
                (base + index).initialize(to: .restoreSweep)
                apply(directive, worker: worker)
            }
        }
    }

    private func apply(_ directive: consuming WorkerDirective, worker: Int) {
        switch directive {
        case .fetch(let keys):
            fetch(worker: worker, keys: keys)
        case .ack(let request):
            ack(request, worker: worker)
        case .reject(let request, let requeue):
            reject(request, requeue: requeue, worker: worker)
        case .restore(let requests):
            giveBack(requests, worker: worker)
        case .execute(let slot, let execution, let request, _, _):
            execute(request, slot: slot, execution: execution, worker: worker)
        case .raiseSoftTimeLimit(let slot, let execution):
            raiseSoftTimeLimit(slot: slot, execution: execution, worker: worker)
        case .killChild(let slot, let reason):
            killChild(slot: slot, reason: reason, worker: worker)
        case .terminateChild(let slot, _):
            // A simulated child dies of any terminate signal.
            killChild(slot: slot, reason: .terminated, worker: worker)
        case .spawnChild(let slot):
            spawnChild(slot: slot, worker: worker, recycled: nil)
        case .replaceChild(let slot, let reason):
            spawnChild(slot: slot, worker: worker, recycled: reason)
        case .retireChild(let slot):
            freeChild(worker: worker, slot: slot)
            trace.record(now, .childRetire, "worker", workers[worker].name, "slot", String(slot))
        case .storeResult(let request, _):
            // One `celery-task-meta-<id>` key per task: later writes replace it.
            if let taskIndex = ledger.resultStored(request.taskNumber) {
                resultStore.stored(bytes: bodyModels[taskIndex].resultSizeBytes, now: now)
            }
        case .publish(let request, _):
            var message = request
            (message.deliveryTag, message.deliveryNumber) = newDeliveryTag()
            ledger.republished(message, now: now)
            trace.record(now, .retryPublish, "task", message.id, "tag", message.deliveryTag, "retries", String(message.retries))
            send(message)
        case .canvas(let step):
            carryOut(step)
        case .restoreSweep:
            restoreSweep(by: worker)
        case .taskEvent(let event):
            taskEvent(event, worker: worker)
        case .stopConsuming:
            // What arrives during the shutdown stays in the list, in order, instead of going to a
            // worker that gives it back to the front of the list or is killed holding it.
            broker.cancelFetch(consumer: workers[worker].consumerToken)
        case .stopped:
            // The fetch ended with the `.stopConsuming` that every shutdown starts with.
            workers[worker].die()
            workers[worker].scheduledTimer = nil
            for slot in workers[worker].children.indices { freeChild(worker: worker, slot: slot) }
            trace.record(now, .workerStopped, "worker", workers[worker].name)
        }
    }

    // MARK: Acknowledging, rejecting and restoring

    func ack(_ request: TaskRequest, worker: Int) {
        let tag = request.deliveryTag
        if brokerDown {
            // Kombu logs the connection error; the entry stays in `unacked` and comes back later.
            ledger.counts.acksLostInOutage += 1
            trace.record(now, .ackLost, "tag", tag, "worker", workers[worker].name)
            return
        }
        trace.record(now, .ack, "tag", tag, "worker", workerNames[worker])
        if let entry = broker.ack(deliveryNumber: request.deliveryNumber) {
            ledger.move(entry.request.taskNumber, .unacked, -1, now: now,
                        lostReason: "acknowledged by \(workers[worker].name) with no result")
        }
    }

    func reject(_ request: TaskRequest, requeue: Bool, worker: Int) {
        let tag = request.deliveryTag
        if brokerDown {
            ledger.counts.acksLostInOutage += 1
            trace.record(now, .rejectLost, "tag", tag, "worker", workers[worker].name)
            return
        }
        trace.record(now, .reject, "tag", tag, "requeue", requeue ? "1" : "0", "worker", workers[worker].name)
        let (entry, delivery) = broker.reject(deliveryNumber: request.deliveryNumber, requeue: requeue, now: now)
        guard let entry else { return }
        let task = entry.request.taskNumber
        if requeue {
            ledger.noteRedelivery(task, cause: "requeued by \(workers[worker].name) (reject)", restored: false)
            ledger.move(task, .queued, 1, now: now, lostReason: "")
            if let delivery { handOver(delivery.request, toConsumer: delivery.consumer, fromList: true) }
        }
        ledger.move(task, .unacked, -1, now: now, lostReason: "rejected by \(workers[worker].name)")
    }

    /// Warm or cold shutdown gives back what the worker still holds (Kombu `restore_unacked_once`).
    func giveBack(_ requests: [TaskRequest], worker: Int) {
        for request in requests {
            if !brokerDown {
                let (entry, delivery) = broker.restore(deliveryNumber: request.deliveryNumber, now: now)
                if entry != nil {
                    trace.record(now, .restore, "task", request.id, "by", workers[worker].name, "tag", request.deliveryTag, "cause", "shutdown")
                    ledger.noteRedelivery(request.taskNumber, cause: "given back at \(workers[worker].name)'s shutdown",
                                          restored: false)
                    ledger.counts.givenBack += 1
                    ledger.move(request.taskNumber, .queued, 1, now: now, lostReason: "")
                    ledger.move(request.taskNumber, .unacked, -1, now: now, lostReason: "")
                    if let delivery { handOver(delivery.request, toConsumer: delivery.consumer, fromList: true) }
                }
            }
            ledger.move(request.taskNumber, .inWorker, -1, now: now,
                        lostReason: "given back at \(workers[worker].name)'s shutdown, but already gone from unacked")
        }
    }

    /// Kombu's `restore_visible`, run by one worker: entries older than the visibility timeout go
    /// back to their lists whoever holds them.
    func restoreSweep(by worker: Int) {
        guard !brokerDown else { return }
        for number in broker.expiredDeliveries(now: now) {
            guard let holderEntry = broker.unackedEntry(deliveryNumber: number) else { continue }
            let cause = restoreCause(holderEntry)
            let (entry, delivery) = broker.restore(deliveryNumber: number, now: now)
            guard let entry else { continue }
            let task = entry.request.taskNumber
            trace.record(now, .restore, "task", entry.request.id, "by", workers[worker].name, "tag", entry.request.deliveryTag, "cause", "visibility")
            ledger.noteRedelivery(task, cause: cause, restored: true)
            ledger.move(task, .queued, 1, now: now, lostReason: "")
            ledger.move(task, .unacked, -1, now: now, lostReason: "")
            if let delivery { handOver(delivery.request, toConsumer: delivery.consumer, fromList: true) }
        }
    }

    /// Why the sweep restored an entry, in words a person can act on.
    func restoreCause(_ entry: SimBroker.UnackedEntry) -> String {
        let (workerIndex, generation) = consumers[entry.holder]
        let holder = workers[workerIndex]
        if holder.generation != generation || !holder.isAlive {
            return "restored after \(holder.name) died holding it"
        }
        if let place = holder.liveCore?.place(ofDeliveryTag: entry.request.deliveryTag) {
            return "visibility_timeout passed while \(holder.name) held it (\(place.rawValue))"
        }
        return "restored after its acknowledgement was lost (broker outage)"
    }

    // MARK: Task events

    /// Traces a task event and tells the ledger. `received` is not traced: the `deliver` record
    /// already says it.
    func taskEvent(_ event: TaskEvent, worker: Int) {
        if let kind = TraceKind(attemptEnd: event.kind) {
            trace.record(now, kind, "task", event.taskID, "worker", workerNames[worker],
                         "detail", event.detail ?? "")
            ledger.attemptEnded(event, now: now)
            if !pipelineRuns.isEmpty, event.kind != .retried, !(event.kind == .rejected && event.requeued) {
                pipelineTaskEnded(event)
            }
        } else if event.kind == .started, let slot = event.slot, let request = workers[worker].children[slot].request {
            trace.record(now, .start, "task", event.taskID, "worker", workerNames[worker], "slot", String(slot), "retries", String(event.retries))
            // Queue wait ends when the body starts in the child, after the hand-off to it.
            ledger.started(request, now: workers[worker].children[slot].startedAt)
        }
    }
}
