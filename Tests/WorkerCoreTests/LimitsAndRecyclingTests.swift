import Testing
import WorkerCore

@Suite("Time limits, worker loss and child recycling")
struct LimitsAndRecyclingTests {
    @Test("soft limit tells the task once; hard limit kills, stores TimeLimitExceeded and replaces the child")
    func timeLimits() {
        var h = CoreHarness(config(concurrency: 1) { c in
            c.taskDefaults.softTimeLimit = .seconds(5)
            c.taskDefaults.timeLimit = .seconds(10)
        })
        h.start()
        let run = h.send(.delivered(h.request())).executions[0]
        var out = h.advanceToDeadline()
        #expect(out.contains(.raiseSoftTimeLimit(slot: run.slot, execution: run.execution)))
        out = h.advanceToDeadline()
        #expect(out.contains(.killChild(slot: run.slot, reason: .hardTimeLimit)))
        #expect(out.storedRecords.first?.error?.type == "TimeLimitExceeded")
        #expect(out.ackedTags == [run.request.deliveryTag], "acks_on_failure_or_timeout defaults to True")
        #expect(out.spawnedSlots == [run.slot])
    }

    @Test("hard limit with acks_on_failure_or_timeout=False under acks_late requeues")
    func timeLimitRequeue() {
        var h = CoreHarness(config(concurrency: 1) { c in
            c.taskDefaults.timeLimit = .seconds(10)
            c.taskDefaults.acksOnFailureOrTimeout = false
        })
        h.start()
        let run = h.send(.delivered(h.request())).executions[0]
        let out = h.advance(by: .seconds(10))
        #expect(out.rejects.map(\.requeue) == [true])
        #expect(out.rejects.map(\.tag) == [run.request.deliveryTag])
    }

    @Test("the message's timelimit header wins over the worker setting")
    func headerLimit() {
        var h = CoreHarness(config(concurrency: 1) { $0.taskDefaults.timeLimit = .seconds(100) })
        h.start()
        var request = h.request()
        request.timeLimit = .seconds(3)
        let out = h.send(.delivered(request))
        if case .execute(_, _, _, _, let limit) = out.first(where: { if case .execute = $0 { true } else { false } })! {
            #expect(limit == .seconds(3))
        }
        #expect(h.core.nextDeadline == h.now + .seconds(3))
    }

    @Test("worker lost under acks_late: reject_on_worker_lost requeues, otherwise FAILURE and ack",
          arguments: [true, false])
    func workerLost(rejectOnWorkerLost: Bool) {
        var h = CoreHarness(config(concurrency: 1) { $0.taskDefaults.rejectOnWorkerLost = rejectOnWorkerLost })
        h.start()
        let run = h.send(.delivered(h.request())).executions[0]
        let out = h.send(.childLost(slot: run.slot, reason: "signal 9"))
        if rejectOnWorkerLost {
            #expect(out.rejects.map(\.requeue) == [true])
            #expect(out.storedStates.isEmpty)
        } else {
            #expect(out.storedRecords.first?.error?.type == "WorkerLostError")
            #expect(out.ackedTags == [run.request.deliveryTag])
        }
        #expect(out.spawnedSlots == [run.slot])
    }

    @Test("max_tasks_per_child replaces the child after its Nth task")
    func maxTasksPerChild() {
        var h = CoreHarness(config(concurrency: 1) { $0.maxTasksPerChild = 2 })
        h.start()
        var replaced = 0
        for _ in 0..<4 {
            let run = h.send(.delivered(h.request())).executions[0]
            let out = h.send(.taskFinished(slot: run.slot, execution: run.execution,
                                           outcome: .succeeded(resultJSON: nil), childResidentKiB: 1000))
            if out.contains(.replaceChild(slot: run.slot, reason: .maxTasksPerChild)) {
                replaced += 1
                h.send(.childReady(slot: run.slot))
            }
        }
        #expect(replaced == 2)
    }

    @Test("max_memory_per_child (KiB) replaces the child after the task that passed it")
    func maxMemoryPerChild() {
        var h = CoreHarness(config(concurrency: 1) { $0.maxMemoryPerChildKiB = 200_000 })
        h.start()
        var run = h.send(.delivered(h.request())).executions[0]
        var out = h.send(.taskFinished(slot: run.slot, execution: run.execution, outcome: .succeeded(resultJSON: nil),
                                       childResidentKiB: 150_000))
        #expect(!out.contains(.replaceChild(slot: run.slot, reason: .maxMemoryPerChild)))
        run = h.send(.delivered(h.request())).executions[0]
        out = h.send(.taskFinished(slot: run.slot, execution: run.execution, outcome: .succeeded(resultJSON: nil),
                                   childResidentKiB: 250_000))
        #expect(out.contains(.replaceChild(slot: run.slot, reason: .maxMemoryPerChild)))
        #expect(out.ackedTags.count == 1, "the task finishes first")
    }

    @Test("rate_limit 2/s spaces starts of one task type 500 ms apart")
    func rateLimit() {
        var h = CoreHarness(config(concurrency: 4, prefetch: 4) { $0.taskDefaults.rateLimit = RateLimit.parse("2/s") })
        h.start()
        var startTimes: [Int64] = []
        for _ in 0..<3 {
            let out = h.send(.delivered(h.request()))
            startTimes += out.executions.map { _ in h.now.microsecondsSinceEpoch }
        }
        #expect(startTimes.count == 1)
        for _ in 0..<2 {
            let out = h.advanceToDeadline()
            startTimes += out.executions.map { _ in h.now.microsecondsSinceEpoch }
        }
        #expect(startTimes.count == 3)
        #expect(startTimes[1] - startTimes[0] == 500_000)
        #expect(startTimes[2] - startTimes[1] == 500_000)
    }

    @Test("track_started stores STARTED; ignore_result stores nothing")
    func resultStates() {
        var h = CoreHarness(config(concurrency: 1) { $0.taskDefaults.trackStarted = true })
        h.start()
        let out = h.send(.delivered(h.request()))
        #expect(out.storedStates == ["STARTED"])
        var quiet = CoreHarness(config(concurrency: 1) { $0.taskDefaults.ignoreResult = true })
        quiet.start()
        let run = quiet.send(.delivered(quiet.request())).executions[0]
        let end = quiet.send(.taskFinished(slot: run.slot, execution: run.execution, outcome: .succeeded(resultJSON: "1"),
                                           childResidentKiB: nil))
        #expect(end.storedStates.isEmpty)
    }

    @Test("a custom state such as PROGRESS is stored with its meta")
    func customState() {
        var h = CoreHarness(config(concurrency: 1))
        h.start()
        let run = h.send(.delivered(h.request())).executions[0]
        let out = h.send(.taskStateUpdated(slot: run.slot, execution: run.execution, state: "PROGRESS",
                                           metaJSON: "{\"current\": 1}"))
        #expect(out.storedRecords == [ResultRecord(state: "PROGRESS", payloadJSON: "{\"current\": 1}", hostname: "w1@test")])
    }
}

@Suite("Failure acknowledgement")
struct FailureAcknowledgementTests {
    func run(_ outcome: TaskOutcome, configure: (inout WorkerConfig) -> Void = { _ in }) -> ([WorkerDirective], TaskRequest) {
        var h = CoreHarness(config(concurrency: 1, configure: configure))
        h.start()
        let started = h.send(.delivered(h.request())).executions[0]
        let out = h.send(.taskFinished(slot: started.slot, execution: started.execution, outcome: outcome,
                                       childResidentKiB: nil))
        return (out, started.request)
    }

    @Test("a failure under acks_late is acknowledged by default")
    func failureAcked() {
        let (out, request) = run(.failed(ErrorDescription(type: "KeyError", message: "k")))
        #expect(out.ackedTags == [request.deliveryTag])
        #expect(out.storedStates == ["FAILURE"])
    }

    @Test("with acks_on_failure_or_timeout=False a failure is rejected without requeue")
    func failureRejected() {
        let (out, request) = run(.failed(ErrorDescription(type: "KeyError", message: "k"))) {
            $0.taskDefaults.acksOnFailureOrTimeout = false
        }
        #expect(out.ackedTags.isEmpty)
        #expect(out.rejects.map(\.tag) == [request.deliveryTag])
        #expect(out.rejects.map(\.requeue) == [false])
        #expect(out.storedStates == ["FAILURE"])
    }

    @Test("Reject(requeue=True) puts the message back and stores nothing")
    func rejectRequeue() {
        let (out, _) = run(.rejected(requeue: true))
        #expect(out.rejects.map(\.requeue) == [true])
        #expect(out.storedStates.isEmpty)
    }

    @Test("Ignore acknowledges and stores nothing")
    func ignore() {
        let (out, request) = run(.ignored)
        #expect(out.ackedTags == [request.deliveryTag])
        #expect(out.storedStates.isEmpty)
    }

    @Test("early ack: a failure stores FAILURE; the message was already acknowledged at start")
    func earlyAckFailure() {
        var h = CoreHarness(config(concurrency: 1, acksLate: false))
        h.start()
        let startOut = h.send(.delivered(h.request()))
        let started = startOut.executions[0]
        #expect(startOut.ackedTags == [started.request.deliveryTag])
        let out = h.send(.taskFinished(slot: started.slot, execution: started.execution,
                                       outcome: .failed(ErrorDescription(type: "KeyError", message: "k")),
                                       childResidentKiB: nil))
        #expect(out.ackedTags.isEmpty)
        #expect(out.rejects.isEmpty)
        #expect(out.storedStates == ["FAILURE"])
    }
}
