import Reports
import Scenarios
import WorkerCore

extension Simulator {
    func sample() {
        var running = 0, alive = 0, pool = 0, held = 0
        var memory: Int64 = 0
        for index in workers.indices {
            guard workers[index].isAlive else { continue }
            let poolSize = workers[index].core.poolSize
            alive += 1
            running += workers[index].core.runningCount
            held += workers[index].core.heldCount
            pool += poolSize
            checkAutoscaleBounds(worker: index, poolSize: poolSize)
            memory += workerMemoryBytes(index)
        }
        peakWorkers = max(peakWorkers, alive)
        peakRunning = max(peakRunning, running)
        peakMemoryBytes = max(peakMemoryBytes, memory)
        let counts = ledger.counts
        // The interval's queue-wait percentiles come from the figure thread (`fillIntervalWaits`).
        ledger.figures.sample()
        timeline.append(RunSummary.TimelineSample(
            atSeconds: (now - Simulator.epoch).seconds, queued: broker.queuedCount, running: running,
            workers: alive, poolSize: pool, memoryBytes: memory, succeeded: counts.succeeded,
            failed: counts.failed, retried: counts.retried, queueWaitP50: 0, queueWaitP99: 0,
            published: counts.published, started: counts.executions, held: held, unacked: broker.unackedCount,
            queuedByList: broker.listDepths()))
        timeline[timeline.count - 1].recycled = counts.recycled
        if !scalers.isEmpty {
            let figures = scalerFigures
            timeline[timeline.count - 1].fleet = RunSummary.FleetFigures(desiredWorkers: figures.desired, kedaListLength: figures.listLength,
                                                                       celeryBacklog: figures.backlog)
        }
    }

    func makeResult() -> RunResult {
        var leftover = RunSummary.Leftover()
        var lines: [String] = []
        let queued = broker.queuedMessages()
        leftover.queued = queued.count + publishesHeldByOutage.count
        for request in queued.prefix(20) { lines.append("queued: \(request.id) \(request.name) in \(request.queue)") }
        for index in workers.indices {
            guard let core = workers[index].liveCore else { continue }
            for (request, place) in core.heldRequests() {
                switch place {
                case .running: leftover.running += 1
                case .waitingForETA: leftover.held += 1
                case .prefetched, .rateLimited: leftover.unacked += 1
                }
                if lines.count < 60 { lines.append("\(place.rawValue) in \(workers[index].name): \(request.id) \(request.name)") }
            }
        }
        for entry in broker.unackedEntries() {
            let (workerIndex, generation) = consumers[entry.holder]
            let holder = workers[workerIndex]
            if holder.generation == generation, holder.liveCore?.place(ofDeliveryTag: entry.request.deliveryTag) != nil { continue }
            leftover.unacked += 1
            if lines.count < 80 {
                lines.append("in unacked, held by no live worker: \(entry.request.id) \(entry.request.name) (delivered to \(holder.name) at \(formatSeconds(entry.deliveredAt - Simulator.epoch))s)")
            }
        }
        leftover.examples = Array(ledger.openTaskIDs.prefix(10))

        let elapsed = ((ledger.lastFinishAt ?? now) - Simulator.epoch).seconds
        let finished = ledger.counts.succeeded + ledger.counts.failed
        var violations = ledger.violations
        violations.append(contentsOf: autoscaleViolations)
        resultStore.expire(now: now)
        // The figure thread has every record of the run now: join it, take its histograms and
        // give each timeline row its interval's queue-wait percentiles (one per `sample()`).
        for (index, interval) in ledger.takeFigures().enumerated() where index < timeline.count {
            timeline[index].queueWaitP50 = interval.p50
            timeline[index].queueWaitP99 = interval.p99
        }
        // After the leftover is counted and before the percentiles are read: no trace event.
        ledger.censorOpen(at: now)
        censorOpenPipelines()
        var summary = RunSummary(
            scenario: scenario.name, mode: "sim", seed: seed, traceHash: trace.hashHex,
            virtualDurationSeconds: (now - Simulator.epoch).seconds, counts: ledger.counts,
            throughput: elapsed > 0 ? Double(finished) / elapsed : 0,
            queueWait: ledger.queueWait.percentiles, runTime: ledger.runTime.percentiles,
            latency: ledger.latency.percentiles, peakQueueDepth: broker.peakQueuedCount,
            peakWorkers: peakWorkers, peakRunning: peakRunning, peakMemoryBytes: peakMemoryBytes,
            invariantViolations: violations, duplicateCauses: ledger.duplicateSummary,
            leftover: leftover, resultStore: resultStore.figures, timeline: timeline)
        summary.timelineLists = broker.listDisplayNames()
        summary.meanWorkers = RunSummary.meanWorkers(timeline.map(\.workers))
        summary.censoredWaits = ledger.censoredWaits
        summary.byTask = ledger.taskFigures(names: scenario.tasks.map(\.name))
        summary.succeededRunTime = ledger.succeededRunTime?.percentiles
        summary.fleet = RunSummary.FleetGroup.describe(scenario.fleet)
        if !scenario.controls.isEmpty { summary.controls = controlOutcomes }
        if let periodic = periodicResult() {
            summary.periodic = periodic.summary
            summary.invariantViolations += periodic.violations
        }
        if !pipelineTallies.isEmpty {
            summary.pipelines = pipelineTallies.figures
            summary.pipelineLatency = pipelineTallies.latency
        }
        let outcomes = AssertionOutcome.check(scenario.assertions, against: summary)
        var result = RunResult(summary: summary, assertionOutcomes: outcomes, leftoverLines: lines,
                                      eventsProcessed: eventsProcessed)
        result.queueWaitByPlanIndexMicros = ledger.endedTaskWaits ?? []
        return result
    }

    /// The autoscaler must keep each pool within [min, max]; checked at every timeline sample, and
    /// reported once per worker.
    func checkAutoscaleBounds(worker index: Int, poolSize: Int) {
        guard let autoscale = workers[index].config.autoscale,
              poolSize > autoscale.maxConcurrency || poolSize < autoscale.minConcurrency,
              !autoscaleViolations.contains(where: { $0.subject == workers[index].name }) else { return }
        autoscaleViolations.append(RunSummary.InvariantViolation(
            invariant: "autoscaler out of bounds", subject: workers[index].name, atSeconds: (now - Simulator.epoch).seconds,
            detail: "pool of \(poolSize) outside [\(autoscale.minConcurrency), \(autoscale.maxConcurrency)]"))
    }
}
