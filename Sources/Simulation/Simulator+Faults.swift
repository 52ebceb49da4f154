import Scenarios
import WorkerCore

/// Injected faults: worker kills and restarts, broker outages and latency, slow tasks, memory pressure.
extension Simulator {
    func startFault(_ index: Int) {
        let fault = scenario.faults[index]
        switch fault.kind {
        case .killWorker(let name):
            guard let worker = workerIndexByName[name] else { return }
            killWorker(worker)
        case .restartWorker(let name):
            guard let worker = workerIndexByName[name], !workers[worker].isAlive else { return }
            startWorker(worker)
        case .stopWorker(let name):
            guard let worker = workerIndexByName[name], workers[worker].isAlive else { return }
            trace.record(now, .workerSigterm, "worker", name)
            pendingInputs.append((worker, .shutdown(.warm)))
        case .brokerOutage:
            trace.record(now, .brokerDown)
            brokerDown = true
            noteBeatCoverage()
        case .brokerLatency(let latency):
            trace.record(now, .brokerLatency, "add_us", String(latency.microseconds))
            extraLatency = extraLatency + latency
        case .slowTasks(let factor, let pattern):
            trace.record(now, .slowTasks, "factor", String(factor), "task", pattern)
            slowWindows.append((factor, pattern, index))
        case .memoryPressure(let bytes, let pattern):
            trace.record(now, .memoryPressure, "bytes", String(bytes), "worker", pattern)
            memoryPressure.append((bytes, pattern, index))
            for worker in workers.indices where Glob.matches(pattern: pattern, workers[worker].name) { enforceMemoryLimit(worker) }
        case .killBeat(let number):
            if let beat = beatIndex(number: number) { killBeat(beat) }
        case .restartBeat(let number, let downFor):
            if let beat = beatIndex(number: number) { restartBeat(beat, downFor: downFor) }
        case .startBeat(let number, _):
            if let beat = beatIndex(number: number) { startBeat(beat) }
        }
    }

    func endFault(_ index: Int) {
        let fault = scenario.faults[index]
        switch fault.kind {
        case .killWorker, .restartWorker, .stopWorker, .killBeat, .restartBeat, .startBeat:
            return
        case .brokerOutage:
            trace.record(now, .brokerUp)
            brokerDown = false
            let held = publishesHeldByOutage
            publishesHeldByOutage.removeAll()
            noteBeatCoverage()
            for request in held { landPublish(request) }
            for delivery in broker.serveWaiters(now: now) {
                handOver(delivery.request, toConsumer: delivery.consumer, fromList: true)
            }
        case .brokerLatency(let latency):
            trace.record(now, .brokerLatencyEnd)
            extraLatency = extraLatency - latency
        case .slowTasks:
            slowWindows.removeAll { $0.fault == index }
        case .memoryPressure:
            memoryPressure.removeAll { $0.fault == index }
        }
    }

    /// SIGKILL of the whole worker: no warm shutdown. What it held stays in `unacked` until a sweep
    /// restores it after the visibility timeout; early-acknowledged running tasks are gone.
    func killWorker(_ worker: Int) {
        guard let core = workers[worker].liveCore else { return }
        let name = workers[worker].name
        trace.record(now, .workerKill, "worker", name)
        workers[worker].die()
        workers[worker].scheduledTimer = nil
        broker.cancelFetch(consumer: workers[worker].consumerToken)
        for (request, place) in core.heldRequests() {
            ledger.move(request.taskNumber, .inWorker, -1, now: now,
                        lostReason: "\(name) was killed while the task was \(place.rawValue), already acknowledged")
        }
        for slot in workers[worker].children.indices { freeChild(worker: worker, slot: slot) }
    }
}
