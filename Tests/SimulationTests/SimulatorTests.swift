import Foundation
import Testing
import Reports
import Scenarios
import Simulation
import WorkerCore

@Suite("Simulator behaviour")
struct SimulatorTests {
    func run(_ scenario: Scenario, seed: UInt64? = nil) throws -> RunResult {
        try Simulator(scenario: scenario, options: SimulationOptions(seed: seed)).run()
    }

    @Test("the same seed gives the same trace hash and summary; another seed does not")
    func determinism() throws {
        let scenario = makeScenario(rate: 50, workers: 2, taskDuration: .exponential(mean: .milliseconds(30)))
        let a = try run(scenario), b = try run(scenario)
        #expect(a.summary == b.summary)
        #expect(a.summary.traceHash == b.summary.traceHash)
        let c = try run(scenario, seed: 2)
        #expect(c.summary.traceHash != a.summary.traceHash)
    }

    @Test("a light steady load completes every task with no violations")
    func steadyLoad() throws {
        let result = try run(makeScenario(rate: 10, arrival: .even))
        let s = result.summary
        #expect(s.counts.published == 599 || s.counts.published == 600)
        #expect(s.counts.succeeded == s.counts.published)
        #expect(s.counts.lost == 0)
        #expect(s.invariantViolations.isEmpty)
        #expect(s.leftover.total == 0)
        #expect(s.runTime.p50 >= 99_000 && s.runTime.p50 <= 101_000)
        #expect(s.queueWait.max < 10_000, "two slots, 100 ms tasks every 100 ms: no queueing")
    }

    @Test("countdown longer than visibility_timeout: the held task is restored and runs again (Celery's duplicate)")
    func visibilityDuplicate() throws {
        let scenario = makeScenario(duration: .seconds(600), drain: .seconds(4 * 3600), rate: 0.05, arrival: .even,
                                    workers: 2, visibility: .seconds(3600),
                                    configureTask: { $0.countdown = .seconds(7200) })
        let s = try run(scenario).summary
        #expect(s.counts.published > 0)
        #expect(s.counts.duplicates >= s.counts.published, "each task runs at least twice")
        #expect(s.duplicateCauses.first?.cause.contains("visibility_timeout passed") == true)
        #expect(s.duplicateCauses.first?.cause.contains("waiting for its eta") == true)
        #expect(s.invariantViolations.isEmpty, "duplicates explained by a redelivery are not violations")
        #expect(s.counts.lost == 0)
    }

    @Test("the same load with visibility_timeout above the countdown runs each task once")
    func visibilityFixed() throws {
        let scenario = makeScenario(duration: .seconds(600), drain: .seconds(4 * 3600), rate: 0.05, arrival: .even,
                                    workers: 2, visibility: .seconds(3 * 3600),
                                    configureTask: { $0.countdown = .seconds(7200) })
        let s = try run(scenario).summary
        #expect(s.counts.duplicates == 0)
        #expect(s.counts.succeeded == s.counts.published)
    }

    @Test("a killed acks_late worker loses nothing: its messages come back after the visibility timeout")
    func killedAcksLate() throws {
        // 3 tasks/s of 2 s each need 6 of the 8 slots: one worker alone falls behind until the restart.
        let scenario = makeScenario(duration: .seconds(300), drain: .seconds(900), rate: 3, workers: 2,
                                    visibility: .seconds(120), taskDuration: .constant(.seconds(2)),
                                    configureGroup: { $0.concurrency = 4 },
                                    faults: [FaultSpec(start: .seconds(100), end: nil, kind: .killWorker("worker-1")),
                                             FaultSpec(start: .seconds(150), end: nil, kind: .restartWorker("worker-1"))])
        let s = try run(scenario).summary
        #expect(s.counts.lost == 0)
        #expect(s.counts.restored > 0)
        #expect(s.counts.duplicates > 0, "tasks running at the kill run again")
        #expect(s.duplicateCauses.contains { $0.cause.contains("died holding it") })
        #expect(s.leftover.total == 0)
    }

    @Test("a killed worker with early ack loses the tasks it was running")
    func killedEarlyAck() throws {
        let scenario = makeScenario(duration: .seconds(300), drain: .seconds(900), rate: 3, workers: 2, acksLate: false,
                                    visibility: .seconds(120), taskDuration: .constant(.seconds(2)),
                                    configureGroup: { $0.concurrency = 4 },
                                    faults: [FaultSpec(start: .seconds(100), end: nil, kind: .killWorker("worker-1"))])
        let s = try run(scenario).summary
        #expect(s.counts.lost > 0)
        #expect(s.invariantViolations.contains { $0.invariant == "task lost" })
    }

    @Test("retries stay within max_retries + 1 attempts and end in SUCCESS or FAILURE")
    func retryStorm() throws {
        let scenario = makeScenario(rate: 20, configureTask: { task in
            task.body.failureProbability = 0.5
            task.body.failureErrorType = "ConnectionError"
            var policy = RetryPolicy()
            policy.autoretryFor = ["ConnectionError"]
            policy.maxRetries = 3
            policy.backoffFactor = 1
            task.options.retry = policy
        }, configureGroup: { $0.concurrency = 8 })
        let s = try run(scenario).summary
        #expect(s.counts.retried > 0)
        #expect(s.counts.succeeded + s.counts.failed == s.counts.published)
        #expect(s.counts.failed > 0, "some tasks fail 4 times in a row")
        #expect(s.invariantViolations.isEmpty)
        #expect(s.counts.executions == s.counts.published + s.counts.retried)
    }

    @Test("max_tasks_per_child recycles children and the memory saw-tooth stays bounded")
    func recycling() throws {
        let scenario = makeScenario(rate: 20, configureTask: { $0.body.memoryRetainedPerCallBytes = 1 << 20 },
                                    configureGroup: { $0.maxTasksPerChild = 50; $0.concurrency = 4 })
        let s = try run(scenario).summary
        #expect(s.counts.recycled >= s.counts.succeeded / 50 - 4)
        #expect(s.peakMemoryBytes <= 4 * ((64 << 20) + 50 * (1 << 20)))
    }

    @Test("a broker outage delays work but loses nothing; lost acks come back as explained duplicates")
    func outage() throws {
        let scenario = makeScenario(duration: .seconds(120), drain: .seconds(7200), rate: 20, visibility: .seconds(300),
                                    configureGroup: { $0.concurrency = 4 },
                                    faults: [FaultSpec(start: .seconds(30), end: .seconds(60), kind: .brokerOutage)])
        let s = try run(scenario).summary
        #expect(s.counts.lost == 0)
        #expect(s.counts.succeeded >= s.counts.published)
        #expect(s.counts.acksLostInOutage > 0)
        #expect(s.invariantViolations.isEmpty)
    }

    @Test("a countdown beyond the end of the run is reported as held, not lost")
    func leftoverHeld() throws {
        let scenario = makeScenario(duration: .seconds(10), drain: .seconds(10), rate: 1, arrival: .even,
                                    configureTask: { $0.countdown = .seconds(3600) })
        let result = try run(scenario)
        #expect(result.summary.counts.lost == 0)
        #expect(result.summary.leftover.held == result.summary.counts.published)
        #expect(result.leftoverLines.first?.contains("waiting for its eta") == true)
    }

    @Test("expired tasks are revoked and never run")
    func expiry() throws {
        let scenario = makeScenario(duration: .seconds(60), rate: 5, arrival: .even, concurrency: 1,
                                    taskDuration: .constant(.seconds(1)), configureTask: { $0.expires = .seconds(5) })
        let s = try run(scenario).summary
        #expect(s.counts.revoked > 0)
        #expect(s.counts.revoked + s.counts.succeeded == s.counts.published)
        #expect(s.invariantViolations.isEmpty)
    }

    @Test("hard time limits kill hung tasks; the child is replaced and work goes on")
    func hangsAndLimits() throws {
        let scenario = makeScenario(rate: 5, configureTask: { $0.body.hangProbability = 0.1 },
                                    configureGroup: { $0.taskDefaults.timeLimit = .seconds(5) })
        let s = try run(scenario).summary
        #expect(s.counts.failed > 0)
        #expect(s.counts.succeeded + s.counts.failed == s.counts.published)
        #expect(s.leftover.total == 0)
    }

    @Test("the autoscaler grows under a burst and stays within bounds")
    func autoscaleBurst() throws {
        var scenario = makeScenario(duration: .seconds(300), rate: 1, taskDuration: .constant(.seconds(1)),
                                    configureGroup: { $0.autoscale = AutoscaleSettings(maxConcurrency: 8, minConcurrency: 2) })
        scenario.load.bursts = [Burst(at: .seconds(60), count: 500, task: nil)]
        let s = try run(scenario).summary
        #expect(s.timeline.map(\.poolSize).max() == 8)
        #expect(s.timeline.map(\.poolSize).min()! >= 2)
        #expect(s.invariantViolations.isEmpty)
        // After the burst drains the pool shrinks (keepalive after the last growth), though the steady
        // load keeps growing it again whenever more than `procs` tasks are reserved, as in Celery.
        let afterBurst = s.timeline.filter { $0.atSeconds > 200 }
        #expect(afterBurst.map(\.poolSize).min()! < 8)
    }
}

@Suite("Trace file")
struct TraceFileTests {
    @Test("the trace is JSON lines, byte-identical across two runs of the same seed")
    func traceFileIsDeterministicJSONLines() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-trace-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scenario = makeScenario(rate: 20, workers: 2, configureTask: { $0.body.failureProbability = 0.2 })
        var hashes: [String] = []
        for name in ["a", "b"] {
            let path = directory.appendingPathComponent("\(name).jsonl").path
            hashes.append(try Simulator(scenario: scenario, options: SimulationOptions(tracePath: path)).run().summary.traceHash)
        }
        let first = try Data(contentsOf: directory.appendingPathComponent("a.jsonl"))
        let second = try Data(contentsOf: directory.appendingPathComponent("b.jsonl"))
        #expect(first == second)
        #expect(hashes[0] == hashes[1])
        let noFile = try Simulator(scenario: scenario).run().summary.traceHash
        #expect(noFile == hashes[0], "the hash does not depend on writing the file")
        let lines = String(decoding: first, as: UTF8.self).split(separator: "\n")
        #expect(lines.count > 1000)
        var kinds = Set<String>()
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["t"] is Double || object?["t"] is Int)
            if let kind = object?["ev"] as? String { kinds.insert(kind) }
        }
        #expect(kinds.isSuperset(of: ["publish", "deliver", "start", "ack", "task-succeeded", "task-failed", "worker-start"]))
    }
}

@Suite("Result store model")
struct ResultStoreTests {
    @Test("one key per task; keys expire result_expires after they were written")
    func resultExpiry() throws {
        var scenario = makeScenario(duration: .seconds(60), rate: 10, arrival: .even,
                                    configureTask: { $0.body.resultSizeBytes = 100 })
        scenario.broker.resultExpires = .seconds(10)
        let store = try Simulator(scenario: scenario).run().summary.resultStore
        #expect(store.written == 599 || store.written == 600)
        #expect(store.peakKeys >= 95 && store.peakKeys <= 111, "about 10 s × 10 tasks/s alive at once")
        #expect(store.peakBytes == Int64(store.peakKeys) * 100)
    }

    @Test("ignore_result writes no keys")
    func ignoreResult() throws {
        let scenario = makeScenario(configureGroup: { $0.taskDefaults.ignoreResult = true })
        #expect(try Simulator(scenario: scenario).run().summary.resultStore.written == 0)
    }
}

@Suite("Faults")
struct FaultTests {
    @Test("broker latency delays every delivery by the one-way latency")
    func latency() throws {
        let base = makeScenario(rate: 5, arrival: .even)
        var slow = base
        slow.broker.latency = .milliseconds(20)
        let fast = try Simulator(scenario: base).run().summary
        let delayed = try Simulator(scenario: slow).run().summary
        #expect(delayed.counts.succeeded == fast.counts.succeeded)
        // Publish and delivery each take 20 ms: end-to-end latency grows by about 40 ms.
        #expect(delayed.latency.p50 >= fast.latency.p50 + 39_000)
        #expect(delayed.latency.p50 <= fast.latency.p50 + 41_000)
    }

    @Test("a slow-task window stretches run times only inside the window")
    func slowTasks() throws {
        let scenario = makeScenario(duration: .seconds(120), rate: 2, arrival: .even, concurrency: 8,
                                    faults: [FaultSpec(start: .seconds(30), end: .seconds(60),
                                                       kind: .slowTasks(factor: 10, taskPattern: "*"))])
        let s = try Simulator(scenario: scenario).run().summary
        #expect(s.runTime.max >= 990_000 && s.runTime.max <= 1_010_000, "10 × 100 ms")
        #expect(s.runTime.p50 <= 101_000, "most tasks ran outside the window")
    }

    @Test("memory pressure pushes children over max_memory_per_child: they are recycled during the window")
    func memoryPressure() throws {
        let scenario = makeScenario(duration: .seconds(120), rate: 5, arrival: .even,
                                    configureGroup: { $0.maxMemoryPerChildKiB = 100 * 1024 },
                                    faults: [FaultSpec(start: .seconds(60), end: .seconds(90),
                                                       kind: .memoryPressure(bytes: 64 << 20, workerPattern: "worker-*"))])
        let s = try Simulator(scenario: scenario).run().summary
        // 30 s × 5 tasks/s, each recycling its child; none outside the window.
        #expect(s.counts.recycled >= 140 && s.counts.recycled <= 160)
        #expect(s.counts.lost == 0)
    }

    @Test("a warm stop gives back prefetched and held messages; the other worker runs them")
    func warmStop() throws {
        let scenario = makeScenario(duration: .seconds(120), rate: 4, arrival: .even, workers: 2, prefetch: 4,
                                    taskDuration: .constant(.seconds(1)),
                                    configureTask: { $0.countdown = .seconds(30) },
                                    faults: [FaultSpec(start: .seconds(60), end: nil, kind: .stopWorker("worker-1"))])
        let result = try Simulator(scenario: scenario).run()
        let s = result.summary
        #expect(s.counts.lost == 0)
        #expect(s.counts.succeeded == s.counts.published)
        #expect(s.counts.givenBack > 0)
        #expect(s.counts.duplicates == 0, "a warm shutdown gives back only what has not started")
        #expect(s.invariantViolations.isEmpty)
    }

    @Test("a stopping worker stops consuming at once: what arrives during its shutdown stays in the list, in order")
    func stoppingWorkerTakesNothingNew() throws {
        // One slot, prefetch 4, a task a second from 1 s, each running 5 s: at 2.5 s the worker runs
        // t1 and holds t2, its fetch waiting for more. Stopped then, it gives back t2 when t1 ends at
        // 6 s; t3 and t4, arriving at 3 s and 4 s, never reach it (the live worker ends its BRPOP
        // with CLIENT UNBLOCK), so they are not given back to the front of the list ahead of t2.
        let scenario = makeScenario(duration: .seconds(5), rate: 1, arrival: .even, concurrency: 1, prefetch: 4,
                                    taskDuration: .constant(.seconds(5)),
                                    faults: [FaultSpec(start: .milliseconds(2_500), end: nil, kind: .stopWorker("worker-1"))])
        let s = try Simulator(scenario: scenario).run().summary
        #expect(s.counts.published == 4)
        #expect(s.counts.givenBack == 1, "\(s.counts)")
        #expect(s.counts.succeeded == 1 && s.leftover.queued == 3, "\(s.counts) \(s.leftover)")
    }
}
