import Reports
import Scenarios
import WorkerCore

/// Carrying out a worker core's directives against the simulated broker and children.
extension Simulator {
    /// Carries out a buffer of directives in order. Each one is moved out of the buffer (a
    /// payload-free `.restoreSweep` is left in its place for the buffer's reuse), so its payload is
    /// neither copied to be read nor released twice: iterating copied every directive, and clearing
    /// the buffer then destroyed it again, seven directives per task.
    func apply(_ directives: inout [WorkerDirective], worker: Int) {
        directives.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for index in 0..<buffer.count {
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
        case .spawnChild(let slot):
            spawnChild(slot: slot, worker: worker, recycled: nil)
        case .replaceChild(let slot, let reason):
            spawnChild(slot: slot, worker: worker, recycled: reason)
        case .retireChild(let slot):
            freeChild(worker: worker, slot: slot)
            trace.record(now, "child-retire", "worker", workers[worker].name, "slot", String(slot))
        case .storeResult(let request, _):
            // One `celery-task-meta-<id>` key per task: later writes replace it.
            if let taskIndex = ledger.resultStored(request.taskNumber) {
                resultStore.stored(bytes: bodyModels[taskIndex].resultSizeBytes, now: now)
            }
        case .publish(let request, _):
            var message = request
            (message.deliveryTag, message.deliveryNumber) = newDeliveryTag()
            ledger.republished(message, now: now)
            trace.record(now, "retry-publish", "task", message.id, "tag", message.deliveryTag, "retries", String(message.retries))
            send(message)
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
            trace.record(now, "worker-stopped", "worker", workers[worker].name)
        }
    }

    // MARK: Publishing

    /// A fresh delivery tag "d<n>" and its number n (the broker's key for it).
    func newDeliveryTag() -> (tag: String, number: Int) {
        nextTagNumber += 1
        return (numberedID(UInt8(ascii: "d"), nextTagNumber), nextTagNumber)
    }

    /// A client publish of a new task of this type, routed as Celery's producer routes it.
    func publishNew(taskIndex: Int) {
        let template = publishTemplates[taskIndex]
        nextTaskNumber += 1
        let delivery = newDeliveryTag()
        let request = TaskRequest(
            id: numberedID(UInt8(ascii: "t"), nextTaskNumber), name: template.name, queue: template.queue,
            deliveryTag: delivery.tag, retries: 0,
            eta: template.countdown.map { now + $0 }, expires: template.expires.map { now + $0 },
            priority: template.priority, ignoreResult: template.ignoreResult,
            taskNumber: nextTaskNumber, deliveryNumber: delivery.number)
        ledger.published(request, now: now, maxRetries: maxRetriesByTask[taskIndex], taskIndex: taskIndex)
        trace.record(now, "publish", "task", request.id, "tag", request.deliveryTag, "name", request.name, "queue", request.queue)
        send(request)
    }

    /// LPUSH, after the broker latency if any; held by the producer while the broker is down.
    /// The ledger has already counted the copy as queued (`published`/`republished`).
    func send(_ request: TaskRequest) {
        var latency = scenario.broker.latency + extraLatency
        if let idleWake = scenario.broker.idleWake {
            // The quiet time before this publish decides what waking the host costs; the first
            // publish of a run comes after an arbitrarily long quiet spell.
            latency = latency + idleWake.cost(afterGap: lastPublishAt.map { now - $0 } ?? .seconds(3600))
            lastPublishAt = now
            var landsAt = now + latency
            if let previous = lastPublishLandsAt, previous > landsAt { landsAt = previous }
            lastPublishLandsAt = landsAt
            latency = landsAt - now
        }
        if latency.microseconds > 0 {
            queue.schedule(.brokerCommand(.publish(request, worker: nil)), at: now + latency)
        } else {
            landPublish(request)
        }
    }

    func landPublish(_ request: TaskRequest) {
        if brokerDown {
            publishesHeldByOutage.append(request)
            return
        }
        // The copy counted in `send` is now in a list, or goes straight to a blocked consumer.
        if let delivery = broker.push(request, now: now) {
            handOver(delivery.request, toConsumer: delivery.consumer, fromList: true)
        }
    }

    // MARK: Consuming

    func fetch(worker: Int, keys: [String]) {
        let token = workers[worker].consumerToken
        if brokerDown {
            broker.block(consumer: token, keys: keys)
            return
        }
        if let request = broker.fetch(consumer: token, keys: keys, now: now) {
            handOver(request, toConsumer: token, fromList: true)
        }
    }

    /// The broker gave a message to a consumer: it is in `unacked` now and travels to the worker.
    func handOver(_ request: TaskRequest, toConsumer token: Int, fromList: Bool) {
        let (worker, generation) = consumers[token]
        let latency = scenario.broker.latency + extraLatency
        let arrivesNow = latency.microseconds == 0 && workers[worker].generation == generation && workers[worker].isAlive
        ledger.delivered(request.taskNumber, fromList: fromList, intoWorker: arrivesNow)
        trace.record(now, "deliver", "task", request.id, "worker", workers[worker].name, "tag", request.deliveryTag, "redelivered", request.redelivered ? "1" : "0")
        if arrivesNow {
            pendingInputs.append((worker, .delivered(request)))
        } else if latency.microseconds > 0 {
            queue.schedule(.brokerCommand(.deliver(worker: worker, generation: generation, request)), at: now + latency)
        } else {
            arrive(request, at: worker, generation: generation)
        }
    }

    func arrive(_ request: TaskRequest, at worker: Int, generation: Int) {
        guard workers[worker].generation == generation, workers[worker].isAlive else {
            lostInTransit(request, worker: worker)
            return
        }
        ledger.move(request.taskNumber, .inWorker, 1, now: now, lostReason: "")
        pendingInputs.append((worker, .delivered(request)))
    }

    /// A BRPOP reply reached a worker that had died: the message stays in `unacked` only.
    func lostInTransit(_ request: TaskRequest, worker: Int) {
        trace.record(now, "delivery-to-dead-worker", "task", request.id, "worker", workers[worker].name)
    }

    func ack(_ request: TaskRequest, worker: Int) {
        let tag = request.deliveryTag
        if brokerDown {
            // Kombu logs the connection error; the entry stays in `unacked` and comes back later.
            ledger.counts.acksLostInOutage += 1
            trace.record(now, "ack-lost", "tag", tag, "worker", workers[worker].name)
            return
        }
        trace.record(now, "ack", "tag", tag, "worker", workers[worker].name)
        if let entry = broker.ack(deliveryNumber: request.deliveryNumber) {
            ledger.move(entry.request.taskNumber, .unacked, -1, now: now,
                        lostReason: "acknowledged by \(workers[worker].name) with no result")
        }
    }

    func reject(_ request: TaskRequest, requeue: Bool, worker: Int) {
        let tag = request.deliveryTag
        if brokerDown {
            ledger.counts.acksLostInOutage += 1
            trace.record(now, "reject-lost", "tag", tag, "worker", workers[worker].name)
            return
        }
        trace.record(now, "reject", "tag", tag, "requeue", requeue ? "1" : "0", "worker", workers[worker].name)
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
                    trace.record(now, "restore", "task", request.id, "by", workers[worker].name, "tag", request.deliveryTag, "cause", "shutdown")
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
            trace.record(now, "restore", "task", entry.request.id, "by", workers[worker].name, "tag", entry.request.deliveryTag, "cause", "visibility")
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

    // MARK: Children and task bodies

    /// `taskIndexByName[name]` behind a one-entry cache: workers mostly run one type after another,
    /// and comparing a short name costs less than hashing it.
    func modelledTaskIndex(named name: String) -> Int? {
        if let cached = lastTaskLookup, cached.name == name { return cached.index }
        let index = taskIndexByName[name]
        lastTaskLookup = (name, index)
        return index
    }

    func execute(_ request: TaskRequest, slot: Int, execution: UInt64, worker: Int) {
        // One reference to the worker: each `workers[worker]` retains and releases it.
        let simWorker = workers[worker]
        simWorker.children[slot].execution = execution
        simWorker.children[slot].request = request
        // The body starts once the host's CPUs have taken the task's work (`host:`) and the child
        // has the task (`child_handoff`); the slot is busy from now.
        let bodyStart = now + waitForHostCPU() + simWorker.childHandoff
        simWorker.children[slot].startedAt = bodyStart
        simWorker.children[slot].isAlive = true
        let taskIndex = modelledTaskIndex(named: request.name)
        simWorker.children[slot].taskIndex = taskIndex
        guard let taskIndex else {
            // A task type the scenario does not model runs as a no-op.
            queue.schedule(.bodyFinished(worker: worker, generation: simWorker.generation, slot: slot,
                                         execution: execution), at: bodyStart)
            return
        }
        let fate = BodySampler.draw(bodyModels[taskIndex], slowFactor: slowFactor(for: request.name), random: &bodies)
        let generation = simWorker.generation
        switch fate {
        case .finishes(let after, let outcome):
            simWorker.children[slot].plannedOutcome = outcome
            if hostMemory != nil, bodyModels[taskIndex].memoryRetainedPerCallBytes > 0 {
                // The synthetic body sleeps, then writes what it keeps (lovage.synthetic).
                queue.schedule(.bodyWritesMemory(worker: worker, generation: generation, slot: slot, execution: execution),
                               at: bodyStart + after)
                return
            }
            // The slot is busy for the worker's per-task overhead too (part of the measured run time).
            queue.schedule(.bodyFinished(worker: worker, generation: generation, slot: slot, execution: execution),
                           at: bodyStart + after + simWorker.taskOverhead)
        case .crashes(let after):
            queue.schedule(.childCrashed(worker: worker, generation: generation, slot: slot, execution: execution),
                           at: bodyStart + after)
        case .hangs:
            trace.record(now, "hang", "task", request.id, "worker", workers[worker].name)
        }
    }

    /// How long a task dispatched now waits for a CPU of the host to take its `cpu_per_task`;
    /// zero when `host:` is not set.
    func waitForHostCPU() -> TimeSpan {
        guard let host = scenario.host else { return .zero }
        return takeHostCPU(host.cpuPerTask, cores: host.cores) - now
    }

    /// When the earliest free CPU of the host starts `work` (first come, first served); that CPU
    /// is busy until the work is done.
    func takeHostCPU(_ work: TimeSpan, cores: Int) -> Instant {
        if hostCPUFreeAt.isEmpty { hostCPUFreeAt = Array(repeating: now, count: cores) }
        var earliest = 0
        for index in hostCPUFreeAt.indices where hostCPUFreeAt[index] < hostCPUFreeAt[earliest] { earliest = index }
        let start = max(now, hostCPUFreeAt[earliest])
        hostCPUFreeAt[earliest] = start + work
        return start
    }

    /// The body writes the memory it keeps: faulting it in takes a CPU of the host for as long as
    /// `host.memory_write` prices it, and the body ends when that is done.
    func bodyWritesMemory(worker: Int, generation: Int, slot: Int, execution: UInt64) {
        let simWorker = workers[worker]
        guard simWorker.generation == generation, simWorker.children[slot].execution == execution,
              let taskIndex = simWorker.children[slot].taskIndex, let host = scenario.host, var memory = hostMemory else { return }
        let work = memory.write(bytes: bodyModels[taskIndex].memoryRetainedPerCallBytes, at: now)
        hostMemory = memory
        let done = takeHostCPU(work, cores: host.cores) + work
        queue.schedule(.bodyFinished(worker: worker, generation: generation, slot: slot, execution: execution),
                       at: done + simWorker.taskOverhead)
    }

    /// Replaces a slot's child with none: the memory it kept goes back to the host's free memory.
    func freeChild(worker: Int, slot: Int) {
        let kept = workers[worker].children[slot].retainedBytes
        if kept > 0 { hostMemory?.freed(bytes: kept, at: now) }
        workers[worker].children[slot] = SimChild()
    }

    func bodyFinished(worker: Int, generation: Int, slot: Int, execution: UInt64) {
        guard workers[worker].generation == generation, workers[worker].children[slot].execution == execution else {
            return
        }
        // Field by field: copying the whole child would retain its request and planned outcome.
        let simWorker = workers[worker]
        ledger.recordRunTime(now - simWorker.children[slot].startedAt, taskIndex: simWorker.children[slot].taskIndex)
        if let taskIndex = simWorker.children[slot].taskIndex {
            simWorker.children[slot].retainedBytes += bodyModels[taskIndex].memoryRetainedPerCallBytes
        }
        simWorker.children[slot].execution = nil
        let outcome = simWorker.children[slot].plannedOutcome ?? .succeeded(resultJSON: nil)
        pendingInputs.append((worker, .taskFinished(slot: slot, execution: execution, outcome: outcome,
                                                    childResidentKiB: residentKiB(worker: worker, slot: slot))))
    }

    func residentKiB(worker: Int, slot: Int) -> Int {
        let bytes = workers[worker].childBaselineBytes + workers[worker].children[slot].retainedBytes + pressure(forWorker: worker)
        return Int(bytes / 1024)
    }

    func raiseSoftTimeLimit(slot: Int, execution: UInt64, worker: Int) {
        guard workers[worker].children[slot].execution == execution else { return }
        // The modelled body does not catch SoftTimeLimitExceeded: it fails at once.
        ledger.recordRunTime(now - workers[worker].children[slot].startedAt, taskIndex: workers[worker].children[slot].taskIndex)
        workers[worker].children[slot].execution = nil
        pendingInputs.append((worker, .taskFinished(slot: slot, execution: execution,
                                                    outcome: .failed(.softTimeLimitExceeded()),
                                                    childResidentKiB: residentKiB(worker: worker, slot: slot))))
    }

    func killChild(slot: Int, reason: ChildStopReason, worker: Int) {
        let child = workers[worker].children[slot]
        if reason == .hardTimeLimit, child.execution != nil { ledger.recordRunTime(now - child.startedAt, taskIndex: child.taskIndex) }
        trace.record(now, "child-kill", "worker", workers[worker].name, "slot", String(slot), "reason", reason.rawValue)
        freeChild(worker: worker, slot: slot)
    }

    func spawnChild(slot: Int, worker: Int, recycled: ChildStopReason?) {
        if let recycled {
            ledger.counts.recycled += 1
            trace.record(now, "child-recycle", "worker", workers[worker].name, "slot", String(slot), "reason", recycled.rawValue)
        }
        freeChild(worker: worker, slot: slot)
        let startup = workers[worker].childStartup
        if startup.microseconds > 0 {
            queue.schedule(.childReady(worker: worker, generation: workers[worker].generation, slot: slot),
                           at: now + startup)
        } else {
            workers[worker].children[slot].isAlive = true
            pendingInputs.append((worker, .childReady(slot: slot)))
        }
    }

    // MARK: Task events

    func taskEvent(_ event: TaskEvent, worker: Int) {
        switch event.kind {
        case .received:
            return
        case .started:
            guard let slot = event.slot, let request = workers[worker].children[slot].request else { return }
            trace.record(now, "start", "task", event.taskID, "worker", workers[worker].name, "slot", String(slot), "retries", String(event.retries))
            // Queue wait ends when the body starts in the child, after the hand-off to it.
            ledger.started(request, now: workers[worker].children[slot].startedAt)
        default:
            trace.record(now, Self.traceKind(event.kind), "task", event.taskID, "worker", workers[worker].name,
                         "detail", event.detail ?? "")
            ledger.attemptEnded(event, now: now)
        }
    }

    // MARK: Fault effects on bodies

    func slowFactor(for taskName: String) -> Double {
        var factor = 1.0
        for window in slowWindows where Glob.matches(pattern: window.pattern, taskName) { factor *= window.factor }
        return factor
    }

    func pressure(forWorker worker: Int) -> Int64 {
        var bytes: Int64 = 0
        for entry in memoryPressure where Glob.matches(pattern: entry.pattern, workers[worker].name) { bytes += entry.bytes }
        return bytes
    }

    /// A task event's kind as the trace writes it: its `rawValue`, as a static string so the trace
    /// hashes it straight from the binary's constant bytes.
    static func traceKind(_ kind: TaskEvent.Kind) -> StaticString {
        switch kind {
        case .received: return "task-received"
        case .started: return "task-started"
        case .succeeded: return "task-succeeded"
        case .failed: return "task-failed"
        case .retried: return "task-retried"
        case .rejected: return "task-rejected"
        case .revoked: return "task-revoked"
        }
    }
}
