import CeleryWire
import Reports
import Scenarios
import WorkerCore
import Workload

/// Scenario pipelines (`then`, `fan_out`, `join`, `on_failure`) in virtual time. A task's request
/// carries its canvas as counts (`CanvasLinks`), the core decides from them what follows an outcome
/// (`.canvas` directives, in Celery's tracer order), and this carries those steps out: the chain's
/// next stage, a chord part counted toward its join, errbacks. `PipelineRuns` plays the message's
/// `embed`: which pipeline and stage each task is in.
///
/// Followers get their own numbers (negative, ids `f<n>`), so the n-th client publish is still
/// `t<n>` (controls that revoke by arrival index, per-arrival queue waits).
extension Simulator {
    /// The canvas a task of `type` carries at `stage` of its pipeline (nil: not in one).
    func canvasLinks(type: Int, plan: PipelinePlan?, stage: Int) -> CanvasLinks {
        var links = CanvasLinks(errbacks: taskSpecs[type].followers.onFailure.count)
        guard let plan else { return links }
        switch plan.stages[stage] {
        case .task: links.chainSteps = plan.stages.count - 1 - stage
        case .group(_, _, let joined): links.chordMember = joined
        }
        return links
    }

    /// A client publish of a pipeline's root: draws its groups' sizes and starts following it.
    func startPipeline(_ request: TaskRequest, plan: PipelinePlan) {
        let counts = FanOutCounts.draw(plan, random: &fanOutRandom)
        let pipeline = pipelineRuns.start(root: plan.root, rootID: request.id, groupCounts: counts, now: now)
        pipelineRuns.join(request.taskNumber, .init(pipeline: pipeline, stage: 0, member: -1))
        pipelineTallies.started(root: plan.root)
        pipelineTallies.published(root: plan.root, stage: 0, tasks: 1)
        for members in counts { pipelineTallies.fanOutDrawn(root: plan.root, members: members) }
    }

    /// A task published by a worker because of another's canvas (a chain step, a group member, an
    /// errback), routed as a client publish of its type is.
    func publishFollower(type: Int, canvas: CanvasLinks, membership: PipelineRuns.Membership?) {
        let template = publishTemplates[type]
        nextFollowerNumber += 1
        let number = -nextFollowerNumber
        let delivery = newDeliveryTag()
        let request = TaskRequest(
            id: numberedID(UInt8(ascii: "f"), nextFollowerNumber), name: template.name, queue: template.queue,
            deliveryTag: delivery.tag, retries: 0,
            eta: template.countdown.map { now + $0 }, expires: template.expires.map { now + $0 },
            priority: template.priority, ignoreResult: template.ignoreResult,
            taskNumber: number, deliveryNumber: delivery.number, canvas: canvas)
        ledger.published(request, now: now, maxRetries: maxRetriesByTask[type], taskIndex: type)
        if let membership { pipelineRuns.join(number, membership) }
        trace.record(now, .publish, "task", request.id, "tag", request.deliveryTag, "name", request.name, "queue", request.queue)
        send(request)
    }

    /// One `.canvas` directive of a worker's core.
    func carryOut(_ step: CanvasStep) {
        switch step.kind {
        case .chainNext: advance(after: step.request)
        case .chordPartReturn: chordPartReturned(step)
        case .errbacks: publishErrbacks(of: step.request)
        case .callbacks, .chainFailed:
            // Scenario tasks carry no `link` callbacks (`then` is a chain). The later chain steps a
            // failure is stored under were never published here: their FAILURE documents are not
            // modelled in the result store.
            break
        }
    }

    /// The chain's next stage after a task stage succeeded. A second run of a step whose pipeline
    /// has moved on (a redelivered duplicate) publishes nothing here, where Celery would publish the
    /// next step again (docs/scenarios.md says so).
    private func advance(after request: TaskRequest) {
        guard let membership = pipelineRuns.membership(of: request.taskNumber), membership.member < 0,
              let run = pipelineRuns.run(membership.pipeline), run.stage == membership.stage else { return }
        pipelineTallies.stageEnded(root: run.root, stage: membership.stage, span: now - run.stageStartedAt)
        publishStage(membership.stage + 1, of: membership.pipeline)
    }

    private func publishStage(_ stage: Int, of pipeline: Int) {
        guard let run = pipelineRuns.run(pipeline), let plan = pipelinePlans[run.root] else { return }
        switch plan.stages[stage] {
        case .task(let type):
            pipelineRuns.change(pipeline) { $0.stage = stage; $0.stageStartedAt = now }
            trace.record(now, .pipelineStage, "root", run.rootID, "stage", String(stage), "tasks", "1")
            publishFollower(type: type, canvas: canvasLinks(type: type, plan: plan, stage: stage),
                            membership: .init(pipeline: pipeline, stage: stage, member: -1))
            pipelineTallies.published(root: run.root, stage: stage, tasks: 1)
        case .group(let member, _, _):
            let ordinal = plan.stages[..<stage].filter { if case .group = $0 { return true } else { return false } }.count
            let count = run.groupCounts[ordinal]
            pipelineRuns.change(pipeline) { run in
                run.stage = stage; run.stageStartedAt = now
                run.membersEnded = Array(repeating: false, count: count); run.endedCount = 0; run.memberFailed = false
            }
            trace.record(now, .pipelineStage, "root", run.rootID, "stage", String(stage), "tasks", String(count))
            let links = canvasLinks(type: member, plan: plan, stage: stage)
            for index in 0..<count {
                publishFollower(type: member, canvas: links, membership: .init(pipeline: pipeline, stage: stage, member: index))
            }
            pipelineTallies.published(root: run.root, stage: stage, tasks: count)
        }
    }

    /// A chord member's final state, counted once (Celery 5.7's dedupe set); the last one decides
    /// the join as the Redis backend does (`ChordJoin.decide`): every part in, then the body runs
    /// if all succeeded, else it fails with ChordError and its errbacks are called.
    private func chordPartReturned(_ step: CanvasStep) {
        guard let membership = pipelineRuns.membership(of: step.request.taskNumber), membership.member >= 0,
              let run = pipelineRuns.run(membership.pipeline), run.stage == membership.stage,
              !run.membersEnded[membership.member] else { return }
        pipelineRuns.change(membership.pipeline) { run in
            run.membersEnded[membership.member] = true
            run.endedCount += 1
            if step.state != .success { run.memberFailed = true }
        }
        guard let updated = pipelineRuns.run(membership.pipeline),
              ChordJoin.decide(readyCount: updated.endedCount, totalDiff: nil, size: updated.membersEnded.count) == .complete
        else { return }
        pipelineTallies.stageEnded(root: run.root, stage: membership.stage, span: now - run.stageStartedAt)
        if updated.memberFailed {
            pipelineTallies.joinFailed(root: run.root)
            // This member's own errbacks follow its chord part (Celery's mark_as_failure order),
            // after the pipeline has ended here: they count in it now.
            if step.state == .failure, let type = modelledTaskIndex(named: step.request.name) {
                pipelineTallies.published(root: run.root, stage: Int.max, tasks: taskSpecs[type].followers.onFailure.count)
            }
            trace.record(now, .chordJoin, "root", run.rootID, "stage", String(membership.stage), "outcome", "ChordError")
            if let plan = pipelinePlans[run.root], case .task(let body) = plan.stages[membership.stage + 1] {
                publishErrbacks(ofType: body, pipeline: membership.pipeline)
            }
            finishPipeline(membership.pipeline, failed: true)
        } else {
            pipelineTallies.joinFired(root: run.root)
            trace.record(now, .chordJoin, "root", run.rootID, "stage", String(membership.stage), "outcome", "fired")
            publishStage(membership.stage + 1, of: membership.pipeline)
        }
    }

    private func publishErrbacks(of request: TaskRequest) {
        guard let type = modelledTaskIndex(named: request.name) else { return }
        publishErrbacks(ofType: type, pipeline: pipelineRuns.membership(of: request.taskNumber)?.pipeline)
    }

    /// `link_error`: each errback of the type, published with the failed task's id; they count in
    /// the pipeline's published tasks but are not a stage of it.
    private func publishErrbacks(ofType type: Int, pipeline: Int?) {
        let names = taskSpecs[type].followers.onFailure
        for name in names {
            guard let errback = taskIndexByName[name] else { continue }
            publishFollower(type: errback, canvas: canvasLinks(type: errback, plan: nil, stage: 0), membership: nil)
        }
        if let pipeline, let run = pipelineRuns.run(pipeline) {
            pipelineTallies.published(root: run.root, stage: Int.max, tasks: names.count)
        }
    }

    /// A pipeline task's attempt ended for good (`TaskEvent`, after its `.canvas` directives). Ends
    /// the pipeline when this was its last stage, or a stage that failed: a FAILURE stops the chain
    /// (and Celery stores it under every later step), where a revoke or a Reject of a middle step
    /// leaves the rest unwritten and the pipeline stuck, as it does in Celery.
    func pipelineTaskEnded(_ event: TaskEvent) {
        guard let membership = pipelineRuns.membership(of: event.request.taskNumber),
              let run = pipelineRuns.run(membership.pipeline), run.stage == membership.stage,
              let plan = pipelinePlans[run.root] else { return }
        let isLast = membership.stage == plan.stages.count - 1
        let succeeded = event.kind == .succeeded
        if membership.member < 0 {
            if succeeded && !isLast { return }  // the chain's next stage is out already
            if succeeded || isLast || event.kind == .failed {
                if succeeded { pipelineTallies.stageEnded(root: run.root, stage: membership.stage, span: now - run.stageStartedAt) }
                finishPipeline(membership.pipeline, failed: !succeeded)
            } else {
                pipelineRuns.change(membership.pipeline) { $0.stoppedBy = "\(event.request.id) \(event.request.name) \(event.kind.rawValue)" }
            }
            return
        }
        guard case .group(_, _, let joined) = plan.stages[membership.stage] else { return }
        if joined {
            // The join counts chord parts (`.chordPartReturn`); a Reject returns none.
            if event.kind == .rejected {
                pipelineRuns.change(membership.pipeline) { $0.stoppedBy = "member \(event.request.id) rejected (a Reject returns no chord part)" }
            }
            return
        }
        guard !run.membersEnded[membership.member] else { return }
        pipelineRuns.change(membership.pipeline) { run in
            run.membersEnded[membership.member] = true
            run.endedCount += 1
            if !succeeded { run.memberFailed = true }
        }
        guard let updated = pipelineRuns.run(membership.pipeline), updated.endedCount == updated.membersEnded.count else { return }
        pipelineTallies.stageEnded(root: run.root, stage: membership.stage, span: now - run.stageStartedAt)
        finishPipeline(membership.pipeline, failed: updated.memberFailed)
    }

    private func finishPipeline(_ pipeline: Int, failed: Bool) {
        guard let run = pipelineRuns.run(pipeline) else { return }
        pipelineTallies.finished(root: run.root, latency: now - run.publishedAt, failed: failed)
        trace.record(now, .pipelineEnd, "root", run.rootID, "outcome", failed ? "failed" : "completed",
                     "latency", formatSeconds(now - run.publishedAt))
        pipelineRuns.end(pipeline)
    }

    /// At the end of the run: every pipeline still open is stuck; says where each one stopped.
    func censorOpenPipelines() {
        for (_, run) in pipelineRuns.open {
            guard let plan = pipelinePlans[run.root] else { continue }
            let names = plan.stageNames(names: taskSpecs.map(\.name))
            var openJoin = false
            var at = "stage \(run.stage + 1) of \(plan.stages.count), \(names[run.stage])"
            if case .group(_, _, let joined) = plan.stages[run.stage] {
                openJoin = joined
                at += ": \(run.endedCount) of \(run.membersEnded.count) members " + (joined ? "returned" : "ended")
            }
            if let stoppedBy = run.stoppedBy { at += " (\(stoppedBy))" }
            pipelineTallies.stuck(root: run.root, latency: now - run.publishedAt, openJoin: openJoin,
                                  example: "\(run.rootID) published at \(formatSeconds(run.publishedAt - Simulator.epoch))s, stopped at \(at)")
        }
    }
}
