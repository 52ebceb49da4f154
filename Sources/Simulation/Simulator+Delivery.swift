import WorkerCore

/// A worker's fetch and the broker's hand-over: a message leaves a list (or goes straight to a
/// blocked consumer), enters `unacked`, and travels to its worker after the broker's latency.
extension Simulator {
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
        trace.record(now, .deliver, "task", request.id, "worker", workerNames[worker], "tag", request.deliveryTag, "redelivered", request.redelivered ? "1" : "0")
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
        trace.record(now, .deliveryToDeadWorker, "task", request.id, "worker", workers[worker].name)
    }
}
