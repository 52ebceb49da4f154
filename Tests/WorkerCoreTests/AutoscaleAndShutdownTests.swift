import Testing
import WorkerCore

@Suite("Autoscaler and shutdown")
struct AutoscaleAndShutdownTests {
    func autoscaled() -> WorkerConfig {
        config(concurrency: 1, prefetch: 4) { $0.autoscale = AutoscaleSettings(maxConcurrency: 4, minConcurrency: 1, keepalive: .seconds(30)) }
    }

    @Test("grows at once to min(reserved, max) and shrinks only idle children after keepalive")
    func growAndShrink() {
        var h = CoreHarness(autoscaled())
        let boot = h.start()
        #expect(boot.spawnedSlots == [0])
        var runs: [(slot: Int, execution: UInt64, request: TaskRequest)] = []
        for _ in 0..<6 {
            var out = h.send(.delivered(h.request()))
            out += h.readyAllSpawned(in: out)
            runs += out.executions
        }
        #expect(h.core.poolSize == 4, "capped at max")
        #expect(runs.count == 4)
        // Finish everything: the pool stays until keepalive has passed since the last growth.
        for run in runs {
            var out = h.send(.taskFinished(slot: run.slot, execution: run.execution, outcome: .succeeded(resultJSON: nil),
                                           childResidentKiB: nil))
            while let next = out.executions.first {
                out = h.send(.taskFinished(slot: next.slot, execution: next.execution, outcome: .succeeded(resultJSON: nil),
                                           childResidentKiB: nil))
            }
        }
        var out = h.advance(by: .seconds(30))
        #expect(out.retiredSlots.isEmpty, "keepalive is a strict 'more than'")
        out = h.advance(by: .seconds(30))
        #expect(out.retiredSlots.count == 3)
        #expect(h.core.poolSize == 1, "never below min")
    }

    @Test("never shrinks before a first growth (Celery's _last_scale_up starts unset)")
    func noShrinkWithoutGrowth() {
        var h = CoreHarness(config(concurrency: 1) { $0.autoscale = AutoscaleSettings(maxConcurrency: 4, minConcurrency: 3) })
        h.start()
        #expect(h.core.poolSize == 3)
        let out = h.advance(by: .seconds(600))
        #expect(out.retiredSlots.isEmpty)
    }

    @Test("warm shutdown finishes running tasks, then gives back prefetched and held messages newest first")
    func warmShutdown() {
        var h = CoreHarness(config(concurrency: 1, prefetch: 2))
        h.start()
        let run = h.send(.delivered(h.request())).executions[0]
        let waiting = h.request()
        h.send(.delivered(waiting))
        let later = h.request(eta: .seconds(100))
        h.send(.delivered(later))
        var out = h.send(.shutdown(.warm))
        #expect(out.restored.isEmpty, "nothing given back while a task runs")
        #expect(out.fetchCount == 0)
        out = h.send(.taskFinished(slot: run.slot, execution: run.execution, outcome: .succeeded(resultJSON: nil),
                                   childResidentKiB: nil))
        #expect(out.ackedTags == [run.request.deliveryTag])
        #expect(out.executions.isEmpty, "no new task starts during a warm shutdown")
        #expect(out.restored == [later.deliveryTag, waiting.deliveryTag])
        #expect(out.last == .stopped)
        #expect(h.core.unacknowledgedCount == 0)
    }

    @Test("a warm shutdown that outlasts the restore sweep and autoscaler times asks to be woken only for its task")
    func longWarmShutdownHasNoPastDeadline() {
        var h = CoreHarness(config(concurrency: 2) { $0.autoscale = AutoscaleSettings(maxConcurrency: 2, minConcurrency: 1) })
        h.start()
        let run = h.send(.delivered(h.request())).executions[0]
        h.send(.shutdown(.warm))
        // The task runs on for an hour: the sweep and the autoscaler's ticks fall due meanwhile.
        _ = h.advance(by: .seconds(3_600))
        #expect(h.core.lifecycle != .stopped)
        // Nothing is due now: a past deadline would wake the driver at once, again and again.
        #expect(h.core.nextDeadline.map { $0 > h.now } ?? true)
        let out = h.send(.taskFinished(slot: run.slot, execution: run.execution, outcome: .succeeded(resultJSON: nil),
                                       childResidentKiB: nil))
        #expect(out.last == .stopped)
    }

    @Test("cold shutdown kills children and gives back everything unacknowledged, running acks_late tasks too")
    func coldShutdown() {
        var h = CoreHarness(config(concurrency: 1, prefetch: 2))
        h.start()
        let run = h.send(.delivered(h.request())).executions[0]
        let waiting = h.request()
        h.send(.delivered(waiting))
        let out = h.send(.shutdown(.cold))
        #expect(out.contains(.killChild(slot: run.slot, reason: .coldShutdown)))
        #expect(out.restored == [waiting.deliveryTag, run.request.deliveryTag])
        #expect(out.last == .stopped)
    }
}
