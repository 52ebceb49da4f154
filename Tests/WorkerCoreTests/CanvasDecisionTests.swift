import Testing
import WorkerCore

/// What follows a task's outcome (WorkerCore+Canvas.swift), against celery/app/trace.py and
/// celery/backends/base.py: callbacks and the chain's next task before SUCCESS is stored, the chord
/// part after it; FAILURE then chord part then errbacks; REVOKED then chord part; nothing on retry.
@Suite("Canvas decisions")
struct CanvasDecisionTests {
    /// The directives as short labels, canvas steps and stores only, in order.
    func labels(_ out: [WorkerDirective]) -> [String] {
        out.compactMap { directive in
            switch directive {
            case .storeResult(_, let record): return "store \(record.state)"
            case .canvas(let step):
                switch step.kind {
                case .callbacks: return "callbacks \(step.state.rawValue)"
                case .chainNext: return "chain \(step.state.rawValue)"
                case .errbacks: return "errbacks \(step.state.rawValue)"
                case .chordPartReturn: return "chord \(step.state.rawValue)"
                case .chainFailed: return "chain failed"
                }
            default: return nil
            }
        }
    }

    func linked(_ h: inout CoreHarness, _ links: CanvasLinks, id: String = "parent") -> TaskRequest {
        var request = h.request(id: id)
        request.canvas = links
        return request
    }

    @Test("success: callbacks, then the chain's next task, then SUCCESS, then the chord part — with the result")
    func successOrder() {
        var h = CoreHarness(config(concurrency: 1))
        h.start()
        let links = CanvasLinks(callbacks: 2, errbacks: 1, chainSteps: 3, chordMember: true)
        let run = h.send(.delivered(linked(&h, links))).executions[0]
        let out = h.send(.taskFinished(slot: run.slot, execution: run.execution,
                                       outcome: .succeeded(resultJSON: "3"), childResidentKiB: nil))
        #expect(labels(out) == ["callbacks SUCCESS", "chain SUCCESS", "store SUCCESS", "chord SUCCESS"])
        let steps = out.compactMap { if case .canvas(let step) = $0 { return step } else { return nil } }
        #expect(steps.allSatisfy { $0.resultJSON == "3" && $0.request.id == "parent" && $0.error == nil })
    }

    @Test("a plain task gets no canvas step")
    func plainTask() {
        var h = CoreHarness(config(concurrency: 1))
        h.start()
        let run = h.send(.delivered(h.request(id: "plain"))).executions[0]
        let out = h.send(.taskFinished(slot: run.slot, execution: run.execution,
                                       outcome: .succeeded(resultJSON: "1"), childResidentKiB: nil))
        #expect(labels(out) == ["store SUCCESS"])
    }

    @Test("a chord member that ignores its result still returns its part (mark_as_done)")
    func ignoredResultStillJoins() {
        var h = CoreHarness(config(concurrency: 1) { $0.taskDefaults.ignoreResult = true })
        h.start()
        let run = h.send(.delivered(linked(&h, CanvasLinks(chordMember: true)))).executions[0]
        let out = h.send(.taskFinished(slot: run.slot, execution: run.execution,
                                       outcome: .succeeded(resultJSON: "7"), childResidentKiB: nil))
        #expect(labels(out) == ["chord SUCCESS"])
    }

    @Test("failure: FAILURE, the chord part, the failure stored down the chain, then errbacks; no callback")
    func failureOrder() {
        var h = CoreHarness(config(concurrency: 1))
        h.start()
        let links = CanvasLinks(callbacks: 1, errbacks: 2, chainSteps: 1, chordMember: true)
        let run = h.send(.delivered(linked(&h, links))).executions[0]
        let error = ErrorDescription(type: "ZeroDivisionError", message: "division by zero")
        let out = h.send(.taskFinished(slot: run.slot, execution: run.execution,
                                       outcome: .failed(error), childResidentKiB: nil))
        #expect(labels(out) == ["store FAILURE", "chord FAILURE", "chain failed", "errbacks FAILURE"])
        let steps = out.compactMap { if case .canvas(let step) = $0 { return step } else { return nil } }
        #expect(steps.allSatisfy { $0.error == error })
    }

    @Test("a retry applies nothing; the final failure after max_retries runs the errbacks")
    func retryThenFailure() throws {
        var h = CoreHarness(config(concurrency: 1) { c in
            c.taskDefaults.retry.autoretryFor = ["ConnectionError"]
            c.taskDefaults.retry.maxRetries = 1
            c.taskDefaults.retry.jitter = false
        })
        h.start()
        let error = ErrorDescription(type: "ConnectionError", message: "down")
        let first = h.send(.delivered(linked(&h, CanvasLinks(errbacks: 1, chainSteps: 1)))).executions[0]
        let retried = h.send(.taskFinished(slot: first.slot, execution: first.execution,
                                           outcome: .failed(error), childResidentKiB: nil))
        #expect(labels(retried) == ["store RETRY"])
        let next = retried.published[0]
        #expect(next.canvas == CanvasLinks(errbacks: 1, chainSteps: 1), "the next attempt carries the same links")
        var redelivery = next
        redelivery.deliveryTag = "tag-retry"
        var out = h.send(.delivered(redelivery))
        out += h.advance(by: .seconds(180))
        try #require(out.executions.count == 1, "the retry runs at its eta (default_retry_delay)")
        let second = out.executions[0]
        let final = h.send(.taskFinished(slot: second.slot, execution: second.execution,
                                         outcome: .failed(error), childResidentKiB: nil))
        #expect(labels(final) == ["store FAILURE", "chain failed", "errbacks FAILURE"])
    }

    @Test("a hard time limit fails the task: chord part and errbacks follow")
    func hardTimeLimit() {
        var h = CoreHarness(config(concurrency: 1) { $0.taskDefaults.timeLimit = .seconds(5) })
        h.start()
        h.send(.delivered(linked(&h, CanvasLinks(errbacks: 1, chordMember: true))))
        let out = h.advance(by: .seconds(5))
        #expect(labels(out) == ["store FAILURE", "chord FAILURE", "errbacks FAILURE"])
    }

    @Test("a lost child fails the task: chord part and errbacks follow")
    func childLost() {
        var h = CoreHarness(config(concurrency: 1))
        h.start()
        let run = h.send(.delivered(linked(&h, CanvasLinks(callbacks: 1, errbacks: 1, chordMember: true)))).executions[0]
        let out = h.send(.childLost(slot: run.slot, reason: "signal 9"))
        #expect(labels(out) == ["store FAILURE", "chord FAILURE", "errbacks FAILURE"])
    }

    @Test("revoked or expired: REVOKED, then the chord part; no errback, no callback")
    func revokedAndExpired() {
        var h = CoreHarness(config(concurrency: 1))
        h.start()
        h.send(.revoke(taskID: "gone", terminate: false))
        let links = CanvasLinks(callbacks: 1, errbacks: 1, chainSteps: 1, chordMember: true)
        let revoked = h.send(.delivered(linked(&h, links, id: "gone")))
        #expect(labels(revoked) == ["store REVOKED", "chord REVOKED"])
        var expiring = linked(&h, links, id: "late")
        expiring.expires = h.now
        let expired = h.send(.delivered(expiring))
        #expect(labels(expired) == ["store REVOKED", "chord REVOKED"])
    }

    @Test("revoke with terminate: REVOKED, then the chord part")
    func terminated() {
        var h = CoreHarness(config(concurrency: 1))
        h.start()
        h.send(.delivered(linked(&h, CanvasLinks(errbacks: 1, chordMember: true), id: "running")))
        let out = h.send(.revoke(taskID: "running", terminate: true))
        #expect(labels(out) == ["store REVOKED", "chord REVOKED"])
    }

    @Test("Reject and Ignore apply nothing")
    func rejectAndIgnore() {
        var h = CoreHarness(config(concurrency: 2))
        h.start()
        let links = CanvasLinks(callbacks: 1, errbacks: 1, chainSteps: 1, chordMember: true)
        let runs = h.send(.delivered(linked(&h, links, id: "a"))).executions + h.send(.delivered(linked(&h, links, id: "b"))).executions
        let rejected = h.send(.taskFinished(slot: runs[0].slot, execution: runs[0].execution,
                                            outcome: .rejected(requeue: false), childResidentKiB: nil))
        let ignored = h.send(.taskFinished(slot: runs[1].slot, execution: runs[1].execution,
                                           outcome: .ignored, childResidentKiB: nil))
        #expect(labels(rejected) == ["store FAILURE"])
        #expect(labels(ignored).isEmpty)
    }
}
