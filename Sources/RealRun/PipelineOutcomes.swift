import Reports
import Scenarios
import WorkerCore
import Workload

/// A real run's pipelines read back from their result documents: how far each got, when each stage
/// ended (the latest `date_done` among its tasks), and the figures the simulator reports, through
/// the same `PipelineTallies`.
///
/// A worker's publishes are not observed directly. A follower counts as published when the stage
/// before it ended in a way that sends it (a chain step after a SUCCESS, a chord body after every
/// member succeeded, an errback after its task's FAILURE), at that stage's end: Celery publishes
/// the next step just before it stores the result it follows (celery/app/trace.py), the chord body
/// from the last member's `on_chord_part_return`, so the estimate is within a result write of the
/// real publish. Documents the workers store for tasks never published (the FAILURE Celery writes
/// under every later step of a failed chain, and under a failed chord's body) do not count as runs.
///
/// Endings match the simulator's: a chain step that fails ends its pipeline as failed, and so does
/// a chord whose member failed (ChordError) or an unjoined group with a failed member; a revoked
/// middle step leaves the pipeline stuck, as the rest of its chain is never sent. A pipeline still
/// open at the end of the run is stuck: its latency runs to the end, and it says where it stopped.
struct PipelineOutcomes {
    /// What a task's result document said; nil: no document.
    struct Result {
        var status: String
        /// `date_done`, microseconds after the run's start.
        var doneMicros: Int64?
    }

    private(set) var tallies: PipelineTallies
    /// When each follower was published, microseconds after the run's start; nil: it was not.
    private(set) var publishedMicros: [Int64?]
    /// Whether every pipeline whose root was sent has ended (completed or failed).
    private(set) var allEnded = true

    /// By plan index: `sent(i)` whether planned task i went out, `intendedMicros(i)` its intended
    /// send time, `id(i)` its id, `planned(i)` its result; `follower(j)`: follower j's result.
    init(load: PipelineLoad, names: [String], finishedAtMicros: Int64,
         sent: (Int) -> Bool, intendedMicros: (Int) -> Int64, id: (Int) -> String,
         planned: (Int) -> Result?, follower: (Int) -> Result?) {
        tallies = PipelineTallies(plans: load.plans, names: names)
        publishedMicros = Array(repeating: nil, count: load.followers.count)
        for pipeline in load.pipelines where sent(pipeline.planIndex) {
            guard let plan = load.plans[pipeline.root] else { continue }
            let intended = intendedMicros(pipeline.planIndex)
            tallies.started(root: pipeline.root)
            tallies.published(root: pipeline.root, stage: 0, tasks: 1)
            for members in pipeline.groupCounts { tallies.fanOutDrawn(root: pipeline.root, members: members) }
            let ending = walk(pipeline, plan: plan, load: load, intended: intended, root: planned(pipeline.planIndex),
                              follower: follower)
            switch ending {
            case .ended(let at, let failed):
                tallies.finished(root: pipeline.root, latency: TimeSpan(microseconds: max(0, at - intended)), failed: failed)
            case .open(let stage, let detail):
                allEnded = false
                let stageNames = plan.stageNames(names: names)
                var openJoin = false
                if case .group(_, _, let joined) = plan.stages[stage] { openJoin = joined }
                let at = "stage \(stage + 1) of \(plan.stages.count), \(stageNames[stage])" + (detail.map { ": \($0)" } ?? "")
                let seconds = String(format: "%.3f", Double(intended) / 1_000_000)
                tallies.stuck(root: pipeline.root, latency: TimeSpan(microseconds: max(0, finishedAtMicros - intended)),
                              openJoin: openJoin, example: "\(id(pipeline.planIndex)) published at \(seconds)s, stopped at \(at)")
            }
        }
        // A plain task's errbacks go out when it fails for good.
        for (index, errbacks) in load.errbacksOfPlanIndex.enumerated()
        where !errbacks.isEmpty && load.pipelineOfPlanIndex[index] == nil && sent(index) {
            guard let result = planned(index), result.status == "FAILURE", let done = result.doneMicros else { continue }
            for errback in errbacks { publishedMicros[errback] = done }
        }
    }

    private enum Ending {
        case ended(atMicros: Int64, failed: Bool)
        case open(stage: Int, detail: String?)
    }

    /// Follows one pipeline stage by stage from its root's result.
    private mutating func walk(_ pipeline: PipelineLoad.Pipeline, plan: PipelinePlan, load: PipelineLoad, intended: Int64,
                               root: Result?, follower: (Int) -> Result?) -> Ending {
        var stageStart = intended
        for stage in plan.stages.indices {
            let isLast = stage == plan.stages.count - 1
            let tasks = pipeline.stageTasks[stage]
            if stage > 0 {
                tallies.published(root: pipeline.root, stage: stage, tasks: tasks.count)
                for task in tasks { publishedMicros[task] = stageStart }
            }
            switch plan.stages[stage] {
            case .task:
                let outcome = stage == 0 ? root : follower(tasks[0])
                let errbacks = stage == 0 ? pipeline.rootErrbacks : load.followers[tasks[0]].errbacks
                guard let outcome, ResultCollector.isFinal(outcome.status), let done = outcome.doneMicros else {
                    return .open(stage: stage, detail: outcome.map { "\($0.status)" })
                }
                switch outcome.status {
                case "SUCCESS":
                    tallies.stageEnded(root: pipeline.root, stage: stage, span: TimeSpan(microseconds: max(0, done - stageStart)))
                    if isLast { return .ended(atMicros: done, failed: false) }
                    stageStart = done
                case "FAILURE":
                    publishErrbacks(errbacks, at: done, root: pipeline.root)
                    return .ended(atMicros: done, failed: true)
                default:  // REVOKED: the rest of the chain is never sent
                    if isLast { return .ended(atMicros: done, failed: true) }
                    return .open(stage: stage, detail: "revoked")
                }
            case .group(_, _, let joined):
                let results = tasks.map(follower)
                let ended = results.filter { $0.map { ResultCollector.isFinal($0.status) && $0.doneMicros != nil } ?? false }
                for (task, result) in zip(tasks, results) where result?.status == "FAILURE" {
                    publishErrbacks(load.followers[task].errbacks, at: result?.doneMicros ?? stageStart, root: pipeline.root)
                }
                guard ended.count == tasks.count else {
                    return .open(stage: stage, detail: "\(ended.count) of \(tasks.count) members " + (joined ? "returned" : "ended"))
                }
                let end = ended.compactMap { $0?.doneMicros }.max() ?? stageStart
                let failed = ended.contains { $0?.status != "SUCCESS" }
                tallies.stageEnded(root: pipeline.root, stage: stage, span: TimeSpan(microseconds: max(0, end - stageStart)))
                if joined && !isLast {
                    if failed {
                        tallies.joinFailed(root: pipeline.root)
                        // ChordError is stored as the body's FAILURE and the body's errbacks run.
                        let body = pipeline.stageTasks[stage + 1][0]
                        let at = follower(body)?.doneMicros ?? end
                        publishErrbacks(load.followers[body].errbacks, at: at, root: pipeline.root)
                        return .ended(atMicros: at, failed: true)
                    }
                    tallies.joinFired(root: pipeline.root)
                } else if isLast {
                    return .ended(atMicros: end, failed: failed)
                }
                stageStart = end
            }
        }
        return .ended(atMicros: stageStart, failed: false)
    }

    /// A failed task's errbacks go out when its FAILURE is stored; they count in its pipeline's
    /// published tasks but are not a stage of it.
    private mutating func publishErrbacks(_ errbacks: [Int], at micros: Int64, root: Int) {
        guard !errbacks.isEmpty else { return }
        for errback in errbacks { publishedMicros[errback] = micros }
        tallies.published(root: root, stage: Int.max, tasks: errbacks.count)
    }
}

extension PipelineOutcomes {
    /// A real run's pipelines (and errbacks) as its collector has read them so far (nil without any).
    static func read(publisher: LoadPublisher, collector: ResultCollector, names: [String], startMicros: Int64,
                     finishedAtMicros: Int64) -> PipelineOutcomes? {
        let load = publisher.pipelines
        guard !load.isEmpty else { return nil }
        func result(_ index: Int) -> Result? {
            collector.outcomes[index].map { .init(status: $0.status, doneMicros: $0.doneAtMicros.map { $0 - startMicros }) }
        }
        let sent = publisher.sent
        return PipelineOutcomes(
            load: load, names: names, finishedAtMicros: finishedAtMicros,
            sent: { $0 < sent }, intendedMicros: { publisher.plan[$0].offset.microseconds }, id: { publisher.ids[$0] },
            planned: result,
            follower: { result(collector.plannedCount + $0) })
    }
}
