import CeleryWire
import Foundation
import Testing
import WorkerCore

extension CoreHarness {
    @discardableResult
    mutating func control(_ command: WorkerControl) -> (ControlResult, [WorkerDirective]) {
        var out: [WorkerDirective] = []
        let result = core.control(command, now: now, into: &out)
        out += readyAllSpawned(in: out)
        return (result, out)
    }
}

/// Remote controls decided by the core (celery/worker/control.py), with Celery's reply texts as
/// captured from Celery 5.7 in Fixtures/celery-wire/pidbox.
@Suite("Remote controls in the core")
struct WorkerControlTests {
    @Test("revoke of a queued id: the message is discarded as REVOKED when it arrives, and listed")
    func revokeBeforeDelivery() {
        var h = CoreHarness(config())
        h.start()
        let (result, _) = h.control(.revoke(taskIDs: ["a", "b"], terminate: false, signal: nil))
        #expect(result == .ok("tasks {'a', 'b'} flagged as revoked"))
        #expect(h.core.revokedIDs == ["a", "b"])
        let request = h.request(id: "a")
        let out = h.send(.delivered(request))
        #expect(out.executions.isEmpty)
        #expect(out.storedStates == ["REVOKED"])
        #expect(out.ackedTags == [request.deliveryTag])
    }

    @Test("terminate: the running child gets the signal, REVOKED is stored, a new child starts")
    func terminate() {
        var h = CoreHarness(config(concurrency: 1))
        h.start()
        let request = h.request(id: "run")
        #expect(h.send(.delivered(request)).executions.count == 1)
        #expect(h.core.activeTasks().map(\.request.id) == ["run"])
        let (result, out) = h.control(.revoke(taskIDs: ["run"], terminate: true, signal: "SIGKILL"))
        #expect(result == .ok("terminate: run"))
        #expect(out.contains(.terminateChild(slot: 0, signal: "SIGKILL")))
        #expect(out.storedStates == ["REVOKED"])
        #expect(out.spawnedSlots == [0])
        let (unknown, _) = h.control(.revoke(taskIDs: ["nobody"], terminate: true, signal: nil))
        #expect(unknown == .ok("terminate: tasks unknown"))
    }

    @Test("mingle's revoked ids are remembered like a revoke")
    func learnRevoked() {
        var h = CoreHarness(config())
        h.start()
        h.control(.learnRevoked(["x"]))
        let out = h.send(.delivered(h.request(id: "x")))
        #expect(out.executions.isEmpty && out.storedStates == ["REVOKED"])
    }

    @Test("rate_limit: texts, unknown task, bad string, and the bucket follows the new limit")
    func rateLimit() {
        var h = CoreHarness(config(concurrency: 2, prefetch: 4) { $0.knownTaskNames = ["app.add"] })
        h.start()
        #expect(h.control(.rateLimit(taskName: "app.nosuchtask", rate: "1/s")).0 == .error("unknown task"))
        #expect(h.control(.rateLimit(taskName: "app.add", rate: "abc")).0
                == .error("Invalid rate limit string: ValueError(\"could not convert string to float: 'abc'\")"))
        #expect(h.control(.rateLimit(taskName: "app.add", rate: "1/s")).0 == .ok("new rate limit set successfully"))
        var started = h.send(.delivered(h.request())).executions.count
        started += h.send(.delivered(h.request())).executions.count
        #expect(started == 1, "the second start waits a second for its token")
        #expect(h.core.reservedTasks().count == 1)
        let (disabled, out) = h.control(.rateLimit(taskName: "app.add", rate: "0"))
        #expect(disabled == .ok("rate limit disabled successfully"))
        #expect(out.executions.count == 1, "without a limit the waiting task starts at once")
    }

    @Test("time_limit: the next start gets the new limits")
    func timeLimit() {
        var h = CoreHarness(config(concurrency: 1) { $0.knownTaskNames = ["app.slow"] })
        h.start()
        #expect(h.control(.timeLimit(taskName: "app.x", soft: 1, hard: 2)).0 == .error("unknown task"))
        #expect(h.control(.timeLimit(taskName: "app.slow", soft: 5, hard: 10)).0 == .ok("time limits set successfully"))
        let out = h.send(.delivered(h.request("app.slow")))
        guard case .execute(_, _, _, let soft, let hard)? = out.first(where: { if case .execute = $0 { true } else { false } }) else {
            Issue.record("not started"); return
        }
        #expect(soft == .seconds(5) && hard == .seconds(10))
    }

    @Test("pool_grow starts children and widens prefetch; pool_shrink retires idle then busy ones")
    func growAndShrink() {
        var h = CoreHarness(config(concurrency: 1, prefetch: 1))
        h.start()
        #expect(h.core.config.prefetchLimit == 1)
        let (grown, out) = h.control(.poolGrow(2))
        #expect(grown == .ok("pool will grow"))
        #expect(out.spawnedSlots == [1, 2])
        #expect(h.core.poolSize == 3)
        #expect(h.core.config.prefetchLimit == 3, "Celery's _update_prefetch_count follows the pool")
        for _ in 0..<3 { h.send(.delivered(h.request())) }
        #expect(h.core.runningCount == 3, "three tasks run at once after the grow")
        let (shrunk, after) = h.control(.poolShrink(2))
        #expect(shrunk == .ok("pool will shrink"))
        #expect(after.retiredSlots.isEmpty, "every child is busy: they stop after their task")
        let running = h.core.activeTasks()
        let finished = h.send(.taskFinished(slot: running[2].slot, execution: 3, outcome: .succeeded(resultJSON: nil),
                                            childResidentKiB: nil))
        #expect(finished.retiredSlots == [running[2].slot])
        #expect(h.core.config.concurrency == 1)
    }

    @Test("on an autoscaling worker pool_grow/shrink are refused; autoscale moves the bounds")
    func autoscale() {
        var h = CoreHarness(config { $0.autoscale = AutoscaleSettings(maxConcurrency: 4, minConcurrency: 2) })
        h.start()
        #expect(h.control(.poolGrow(1)).0 == .error("pool_grow is not supported with autoscale. Adjust autoscale range instead."))
        #expect(h.control(.poolShrink(1)).0 == .error("pool_shrink is not supported with autoscale. Adjust autoscale range instead."))
        let (result, out) = h.control(.autoscale(max: 6, min: 3))
        #expect(result == .ok("autoscale now max=6 min=3"))
        #expect(out.spawnedSlots.count == 1, "min 3 above 2 processes starts one")
        #expect(h.core.config.autoscale?.maxConcurrency == 6)
        var fixed = CoreHarness(config())
        fixed.start()
        #expect(fixed.control(.autoscale(max: 3, min: 1)).0 == .error("ValueError('Autoscale not enabled')"))
    }

    @Test("add_consumer and cancel_consumer change the fetch keys")
    func consumers() {
        var h = CoreHarness(config(prefetch: 0))
        h.start()
        #expect(h.control(.addConsumer(queue: "q2")).0 == .ok("add consumer q2"))
        #expect(h.core.consumingQueues == ["celery", "q2"])
        #expect(h.control(.cancelConsumer(queue: "celery")).0 == .ok("no longer consuming from celery"))
        #expect(h.core.consumingQueues == ["q2"])
        h.send(.fetchReturnedEmpty)
        var out: [WorkerDirective] = []
        h.core.handleTimers(now: h.now, into: &out)
        let fetches: [[String]] = out.compactMap { directive -> [String]? in
            if case .fetch(let keys) = directive { return keys }
            return nil
        }
        let keys = fetches.last ?? h.core.consumingQueues
        #expect(!keys.isEmpty && keys.allSatisfy { $0.hasPrefix("q2") })
    }

    @Test("events: with -E both answers are 'already'; without, they toggle")
    func events() {
        var withE = CoreHarness(config { $0.sendTaskEvents = true })
        withE.start()
        #expect(withE.control(.disableEvents).0 == .ok("task events already disabled"))
        #expect(withE.control(.enableEvents).0 == .ok("task events already enabled"))
        #expect(withE.core.taskEventsEnabled)
        var without = CoreHarness(config())
        without.start()
        #expect(!without.core.taskEventsEnabled)
        #expect(without.control(.enableEvents).0 == .ok("task events enabled"))
        #expect(without.core.taskEventsEnabled)
        #expect(without.control(.disableEvents).0 == .ok("task events disabled"))
        #expect(!without.core.taskEventsEnabled)
    }

    @Test("pool_restart: refused unless worker_pool_restarts; idle children replaced now, busy after their task")
    func poolRestart() {
        var off = CoreHarness(config())
        off.start()
        #expect(off.control(.poolRestart).0 == .error("ValueError('Pool restarts not enabled')"))
        var h = CoreHarness(config(concurrency: 2) { $0.poolRestarts = true })
        h.start()
        h.send(.delivered(h.request()))
        var out: [WorkerDirective] = []
        let result = h.core.control(.poolRestart, now: h.now, into: &out)
        #expect(result == .ok("reload started"))
        #expect(out.contains(.replaceChild(slot: 1, reason: .poolRestart)))
        let finished = h.send(.taskFinished(slot: 0, execution: 1, outcome: .succeeded(resultJSON: nil), childResidentKiB: nil))
        #expect(finished.contains(.replaceChild(slot: 0, reason: .poolRestart)))
    }

    @Test("shutdown is a warm shutdown: running tasks finish")
    func shutdown() {
        var h = CoreHarness(config(concurrency: 1))
        h.start()
        h.send(.delivered(h.request()))
        h.control(.shutdown)
        #expect(h.core.lifecycle == .warmShutdown)
        let out = h.send(.taskFinished(slot: 0, execution: 1, outcome: .succeeded(resultJSON: nil), childResidentKiB: nil))
        #expect(out.contains(.stopped))
    }

    @Test("stats' total counts accepted tasks by name in first-seen order")
    func totals() {
        var h = CoreHarness(config(concurrency: 3, prefetch: 4))
        h.start()
        h.send(.delivered(h.request("b.task")))
        h.send(.delivered(h.request("a.task")))
        h.send(.delivered(h.request("b.task")))
        #expect(h.core.totalByTaskName.map { "\($0.name)=\($0.count)" } == ["b.task=2", "a.task=1"])
    }

    @Test("every captured control request maps to a WorkerControl and back to its arguments")
    func capturedRequests() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/celery-wire/pidbox")
        let cases: [(String, WorkerControl)] = [
            ("07-control-revoke", .revoke(taskIDs: [], terminate: false, signal: nil)),
            ("21-control-rate_limit", .rateLimit(taskName: "app.add", rate: "5/s")),
            ("22-control-time_limit", .timeLimit(taskName: "app.slow", soft: 5, hard: 10)),
            ("23-control-pool_grow", .poolGrow(1)),
            ("24-control-pool_shrink", .poolShrink(1)),
            ("25-control-add_consumer", .addConsumer(queue: "q2")),
            ("26-control-cancel_consumer", .cancelConsumer(queue: "q2")),
            ("71-control-autoscale", .autoscale(max: 4, min: 2)),
            ("16-control-disable_events", .disableEvents),
            ("17-control-enable_events", .enableEvents),
        ]
        for (name, expected) in cases {
            let raw = try Data(contentsOf: folder.appendingPathComponent(name + ".request.json"))
            let line = Array(raw.split(separator: 10).first ?? raw[...])
            let request = try PidboxRequest.decode(line)
            let control = try #require(try WorkerControl(method: request.method, arguments: request.arguments), "\(name)")
            if case .revoke(let ids, _, _) = control {
                #expect(ids.count == 2, "\(name)")
            } else {
                #expect(control == expected, "\(name)")
                #expect(control.arguments == request.arguments, "\(name)")
            }
        }
        #expect(throws: ControlArgumentError.self) {
            _ = try WorkerControl(method: "rate_limit", arguments: ["task_name": "app.add", "bogus": 1])
        }
        #expect(try WorkerControl(method: "ping", arguments: [:]) == nil)
    }
}
