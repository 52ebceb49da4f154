import Foundation
import Reports
import Scenarios
import WorkerCore

/// A real run's figures in the simulator's `RunSummary` shape, so both modes write the same
/// summary.json, timeline.csv and report.html and `lovage compare` and `lovage fidelity` read both.
///
/// Times are measured from each task's intended send time (the open model): queue wait is from
/// the later of that and its eta to the body's start (for a task that retried, from when its last
/// attempt became due: the previous attempt's task-retried event or the retry's eta), latency from it to the stored result, run
/// time from start to stored result. With task events, every attempt counts, as in the simulator:
/// the attempts before the last (and a last one that failed) from their task-started and
/// task-retried (or task-failed) timestamps. A pipeline's followers count from when they were published
/// (`PipelineOutcomes`). There is no trace in a real run, so the trace hash is "-".
struct RealRunSummary {
    let scenario: Scenario
    let seed: UInt64
    let mode: String
    let publisher: LoadPublisher
    let collector: ResultCollector
    let samples: [BrokerSampler.Sample]
    /// The fleet scalers' polls (empty without a scaled group).
    let scalerPolls: [RealFleetScaler.Poll]
    /// Workers killed for passing their group's memory_limit (`ContainerMemoryLimit`).
    let oomKilled: Int
    let listNames: [String]
    let finishedAtMicros: Int64
    let startedAt: Date
    /// What the task-event subscriber counted (nil when the run only published).
    let executions: (counter: ExecutionCounter, figures: RunSummary.TaskEventFigures)?
    /// The tasks the beats sent, in the collector's order after the followers: each one's type,
    /// when it was sent (from the load's start) and its countdown (the entry's, else its type's).
    var beatTasks: [(taskIndex: Int, sentMicros: Int64, countdown: TimeSpan?)] = []

    /// The retries task `index` went through, from what happened: the attempts that asked for a
    /// retry (task-retried events), or the retries its successful result reports when that is more
    /// (no events, or some missed). Without events a task that failed for good shows no retries:
    /// its result is the exception, which does not say.
    func retries(ofTask index: Int, outcome: ResultCollector.Outcome?) -> Int {
        let fromResult = outcome?.status == "SUCCESS" ? (outcome?.retries ?? 0) : 0
        return max(fromResult, executions?.counter.retries(uuid: collector.ids[index]) ?? 0)
    }

    /// The summary, and each planned task's queue wait in µs by its index in the plan (-1 for a
    /// task with no final result or no start time): `RunResult.queueWaitByPlanIndexMicros`.
    func make() -> (summary: RunSummary, queueWaitByPlanIndexMicros: [Int64]) {
        let startMicros = Int64(startedAt.timeIntervalSince1970 * 1_000_000)
        let pipelines = PipelineOutcomes.read(publisher: publisher, collector: collector, names: scenario.tasks.map(\.name),
                                              startMicros: startMicros, finishedAtMicros: finishedAtMicros)
        // Each result's task: its type and when it was sent (nil: never sent), planned tasks first.
        let planned = collector.plannedCount
        let entries: [(taskIndex: Int, intended: Int64?)] = collector.outcomes.indices.map { index in
            if index < planned {
                return (publisher.plan[index].taskIndex, index < publisher.sent ? publisher.plan[index].offset.microseconds : nil)
            }
            if index >= collector.beatTaskStart {
                let task = beatTasks[index - collector.beatTaskStart]
                return (task.taskIndex, task.sentMicros)
            }
            let follower = index - planned
            return (publisher.pipelines.followers[follower].taskIndex, pipelines?.publishedMicros[follower])
        }
        var counts = RunSummary.Counts()
        counts.published = entries.filter { $0.intended != nil }.count
        var queueWait = DurationHistogram(), runTime = DurationHistogram(), latency = DurationHistogram()
        var startedOffsets: [Int64] = [], succeededOffsets: [Int64] = [], failedOffsets: [Int64] = []
        var queueWaitByStart: [(at: Int64, wait: Int64)] = []
        var waitByPlanIndex = [Int64](repeating: -1, count: planned)
        var lastFinish: Int64 = 0
        var types = [TaskTypeTally](repeating: TaskTypeTally(), count: scenario.tasks.count)
        var censored = 0
        // When a task may first run: its send plus its countdown (a beat task's own, else its type's).
        func countdownMicros(_ index: Int) -> Int64 {
            if index >= collector.beatTaskStart { return beatTasks[index - collector.beatTaskStart].countdown?.microseconds ?? 0 }
            return scenario.tasks[entries[index].taskIndex].countdown?.microseconds ?? 0
        }
        // One attempt that started (run offsets in µs): counted, on the timeline, its run time when
        // it ended and its queue wait when its due time is known (returned).
        func recordAttempt(taskIndex: Int, started: Int64, due: Int64?, ended: Int64?) -> Int64? {
            counts.executions += 1
            startedOffsets.append(started)
            if let ended {
                runTime.record(TimeSpan(microseconds: max(0, ended - started)))
                types[taskIndex].runTime.record(TimeSpan(microseconds: max(0, ended - started)))
            }
            guard let due else { return nil }
            let wait = max(0, started - due)
            queueWait.record(TimeSpan(microseconds: wait))
            types[taskIndex].queueWait.record(TimeSpan(microseconds: wait))
            queueWaitByStart.append((started, wait))
            return wait
        }
        for entry in entries where entry.intended != nil { types[entry.taskIndex].published += 1 }
        for (index, outcome) in collector.outcomes.enumerated() {
            // A follower never published has no run to count (a document there is the FAILURE
            // Celery stores under the later steps of a failed chain).
            guard let intended = entries[index].intended else { continue }
            let taskIndex = entries[index].taskIndex
            let retried = retries(ofTask: index, outcome: outcome)
            counts.retried += retried
            types[taskIndex].retried += retried
            guard let outcome else {
                // No result at all: sent and never started (unless its task-started was seen),
                // it waited at least until the end of the run: censored there.
                latency.record(TimeSpan(microseconds: max(0, finishedAtMicros - intended)))
                let due = intended + countdownMicros(index)
                if due <= finishedAtMicros, executions?.counter.started(uuid: collector.ids[index], retries: 0) != true {
                    let wait = TimeSpan(microseconds: finishedAtMicros - due)
                    queueWait.record(wait)
                    types[taskIndex].queueWait.record(wait)
                    types[taskIndex].censored += 1
                    censored += 1
                }
                continue
            }
            // The result is the last attempt's: a retry's wait counts from when it became due
            // (from the task events), not from the first publish; unknown without events.
            let retries = outcome.retries ?? 0
            let due: Int64? = retries == 0 ? intended + countdownMicros(index)
                : executions?.counter.dueMicros(uuid: collector.ids[index], retries: retries).map { $0 - startMicros }
            switch outcome.status {
            case "SUCCESS":
                counts.succeeded += 1
                types[taskIndex].succeeded += 1
            case "FAILURE":
                counts.failed += 1
                types[taskIndex].failed += 1
            case "REVOKED": counts.revoked += 1
            default: break
            }
            if let counter = executions?.counter {
                // The attempts the result does not show, from the task events, as the simulator
                // counts every attempt (a queue wait at each first start, a run time at each end):
                // each one before the last asked for a retry, and a last one that failed has no
                // start time in its result (the result is the exception).
                let uuid = collector.ids[index]
                let finalAttempt = outcome.status == "SUCCESS" ? retries : retried
                var fromEvents = Array(0..<finalAttempt)
                if outcome.status == "FAILURE", outcome.startedAtMicros == nil { fromEvents.append(finalAttempt) }
                for attempt in fromEvents {
                    let times = counter.attemptTimes(uuid: uuid, retries: attempt)
                    guard let attemptStarted = times.startedAtMicros.map({ $0 - startMicros }) else { continue }
                    let attemptDue = attempt == 0 ? intended + countdownMicros(index)
                        : counter.dueMicros(uuid: uuid, retries: attempt).map { $0 - startMicros }
                    _ = recordAttempt(taskIndex: taskIndex, started: attemptStarted, due: attemptDue,
                                      ended: times.endedAtMicros.map { $0 - startMicros })
                }
            }
            let started = outcome.startedAtMicros.map { $0 - startMicros }
            let done = outcome.doneAtMicros.map { $0 - startMicros }
            if let started {
                if let wait = recordAttempt(taskIndex: taskIndex, started: started, due: due, ended: done),
                   ResultCollector.isFinal(outcome.status), index < planned {
                    waitByPlanIndex[index] = wait
                }
            } else if !ResultCollector.isFinal(outcome.status), let due, due <= finishedAtMicros {
                // A result without a start (RETRY, or PENDING): its latest attempt never started.
                let wait = TimeSpan(microseconds: max(0, finishedAtMicros - due))
                queueWait.record(wait)
                types[taskIndex].queueWait.record(wait)
                types[taskIndex].censored += 1
                censored += 1
            }
            if !ResultCollector.isFinal(outcome.status) {
                latency.record(TimeSpan(microseconds: max(0, finishedAtMicros - intended)))
            }
            if let done, ResultCollector.isFinal(outcome.status) {
                latency.record(TimeSpan(microseconds: max(0, done - intended)))
                if outcome.status == "SUCCESS" { succeededOffsets.append(done) }
                if outcome.status == "FAILURE" { failedOffsets.append(done) }
                if outcome.status != "REVOKED" { lastFinish = max(lastFinish, done) }
            }
        }
        let finished = counts.succeeded + counts.failed
        counts.recycled = Self.recycles(samples)
        counts.oomKilled = oomKilled
        let leftover = collector.outcomes.indices.filter { index in
            entries[index].intended != nil && (collector.outcomes[index].map { !ResultCollector.isFinal($0.status) } ?? true)
        }.count
        var left = RunSummary.Leftover()
        if leftover > 0 {
            // Where the unfinished tasks are, as far as the last sample of Redis can tell.
            let lastSample = samples.last
            left.queued = min(leftover, lastSample?.lists.reduce(0, +) ?? 0)
            left.unacked = min(leftover - left.queued, lastSample?.unacked ?? 0)
            left.held = min(leftover - left.queued - left.unacked, lastSample?.held ?? 0)
            left.running = leftover - left.queued - left.unacked - left.held
            left.examples = Array(collector.leftoverLines(limit: 10, counts: { entries[$0].intended != nil }))
        }
        counts.lost = 0  // a real run cannot tell lost from late; leftover lists what has no result
        var summary = RunSummary(
            scenario: scenario.name, mode: mode, seed: seed, traceHash: "-",
            virtualDurationSeconds: Double(finishedAtMicros) / 1_000_000, counts: counts,
            throughput: lastFinish > 0 ? Double(finished) / (Double(lastFinish) / 1_000_000) : 0,
            queueWait: queueWait.percentiles, runTime: runTime.percentiles, latency: latency.percentiles,
            peakQueueDepth: samples.map { $0.lists.reduce(0, +) }.max() ?? 0,
            peakWorkers: samples.map(\.workers).max() ?? 0, peakRunning: samples.map(\.running).max() ?? 0,
            peakMemoryBytes: samples.map(\.memoryBytes).max() ?? 0, invariantViolations: [], duplicateCauses: [],
            leftover: left, resultStore: RunSummary.ResultStoreFigures(), timeline: [])
        summary.timelineLists = listNames
        summary.censoredWaits = censored
        summary.byTask = scenario.tasks.indices.map { types[$0].figures(task: scenario.tasks[$0].name) }
            .sorted { $0.task < $1.task }
        summary.fleet = RunSummary.FleetGroup.describe(scenario.fleet)
        if let pipelines, !pipelines.tallies.isEmpty {
            summary.pipelines = pipelines.tallies.figures
            summary.pipelineLatency = pipelines.tallies.latency
        }
        summary.meanWorkers = RunSummary.meanWorkers(samples.map(\.workers))
        if let executions {
            // Duplicates as the simulator counts them: a second start of the same attempt.
            summary.counts.duplicates = executions.counter.duplicates
            summary.duplicateCauses = executions.counter.duplicateCauses
            summary.taskEvents = executions.figures
        }
        let sends = publisher.sentOffsets.prefix(publisher.sent)
        let span = Double((sends.max() ?? 0) - (sends.min() ?? 0)) / 1_000_000
        summary.publisher = RunSummary.PublisherFigures(sendsBehind: publisher.sendsBehind, maxLagMicros: publisher.maxLag.microseconds,
                                                        sentPerSecond: span > 0 ? Double(sends.count) / span : 0)
        let retriedOffsets = (executions?.counter.retriedAtMicros ?? []).map { $0 - startMicros }.sorted()
        summary.timeline = timeline(started: startedOffsets.sorted(), succeeded: succeededOffsets.sorted(),
                                    failed: failedOffsets.sorted(), retried: retriedOffsets,
                                    waits: queueWaitByStart.sorted { $0.at < $1.at },
                                    followersPublished: (pipelines?.publishedMicros.compactMap { $0 } ?? []).sorted())
        return (summary, waitByPlanIndex)
    }

    /// One row per sample: the sampler's broker figures plus the cumulative task counts (retries from
    /// the task-retried events) up to the
    /// sample's time and the queue wait of the tasks that started since the previous row.
    private func timeline(started: [Int64], succeeded: [Int64], failed: [Int64], retried: [Int64],
                          waits: [(at: Int64, wait: Int64)], followersPublished: [Int64]) -> [RunSummary.TimelineSample] {
        var rows: [RunSummary.TimelineSample] = []
        var waitIndex = 0
        var pollIndex = -1
        var recycledSoFar: [BrokerSampler.Sample] = []
        for sample in samples {
            while pollIndex + 1 < scalerPolls.count, scalerPolls[pollIndex + 1].atMicros <= sample.atMicros { pollIndex += 1 }
            var interval = DurationHistogram()
            while waitIndex < waits.count, waits[waitIndex].at <= sample.atMicros {
                interval.record(TimeSpan(microseconds: waits[waitIndex].wait))
                waitIndex += 1
            }
            let published = publisher.sentOffsets.prefix(publisher.sent).filter { $0 <= sample.atMicros }.count
                + Self.count(followersPublished, upTo: sample.atMicros)
            rows.append(RunSummary.TimelineSample(
                atSeconds: Double(sample.atMicros) / 1_000_000, queued: sample.lists.reduce(0, +), running: sample.running,
                workers: sample.workers, poolSize: sample.poolSize, memoryBytes: sample.memoryBytes,
                succeeded: Self.count(succeeded, upTo: sample.atMicros), failed: Self.count(failed, upTo: sample.atMicros),
                retried: Self.count(retried, upTo: sample.atMicros), queueWaitP50: interval.count > 0 ? interval.percentiles.p50 : 0,
                queueWaitP99: interval.count > 0 ? interval.percentiles.p99 : 0,
                published: published, started: Self.count(started, upTo: sample.atMicros),
                held: sample.held, unacked: sample.unacked, queuedByList: sample.lists))
            recycledSoFar.append(sample)
            rows[rows.count - 1].recycled = Self.recycles(recycledSoFar)
            if !scalerPolls.isEmpty {
                rows[rows.count - 1].fleet = pollIndex >= 0 ? scalerPolls[pollIndex].figures
                    : RunSummary.FleetFigures(desiredWorkers: scenario.fleet.filter { $0.scaler != nil }.map(\.count).reduce(0, +),
                                              kedaListLength: 0, celeryBacklog: 0)
            }
        }
        return rows
    }

    /// Recycles the Lovage workers reported: each worker's counter only grows while it lives, so a
    /// drop means it restarted and the count before the drop is kept. Celery workers report none.
    static func recycles(_ samples: [BrokerSampler.Sample]) -> Int {
        var finished = 0
        var last: [String: Int] = [:]
        for sample in samples where sample.answered {
            for (worker, count) in sample.recycledByWorker {
                if let previous = last[worker], count < previous { finished += previous }
                last[worker] = count
            }
        }
        return finished + last.values.reduce(0, +)
    }

    /// How many of the sorted values are at most `limit`.
    private static func count(_ sorted: [Int64], upTo limit: Int64) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] <= limit { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
