import CeleryWire
import FleetRecording
import Testing
@testable import Calibration

/// The pieces that turn a recording into a scenario, on hand-made recordings whose true publish
/// times, waits and runtimes are known.
struct CalibrationPartsTests {
    static let start = 1_800_000_000.0

    static func event(_ type: String, _ id: String, at: Double, node: String = "celery@a", received: Double? = nil,
                      clock: Int = 0, extra: JSONObject = [:]) -> RecordedEvent {
        var fields: JSONObject = ["uuid": .string(id)]
        for (key, value) in extra { fields.set(value, forKey: key) }
        return RecordedEvent(receivedAt: received ?? at + 0.0003, type: type, hostname: node, timestamp: at,
                             utcoffset: 0, clock: clock, pid: 1, fields: fields)
    }

    /// One task: received, started 1 ms later, succeeded after `runtime`.
    static func lifecycle(_ id: String, name: String = "app.work", receivedAt: Double, runtime: Double,
                          node: String = "celery@a", skew: Double = 0) -> [RecordedEvent] {
        [event("task-received", id, at: receivedAt - skew, node: node, received: receivedAt + 0.0003,
               extra: ["name": .string(name), "retries": .int(0)]),
         event("task-started", id, at: receivedAt + 0.001 - skew, node: node, received: receivedAt + 0.0013),
         event("task-succeeded", id, at: receivedAt + 0.001 + runtime - skew, node: node,
               received: receivedAt + 0.0013 + runtime, extra: ["runtime": .double(runtime)])]
    }

    static func recording(events: [RecordedEvent], pushes: [QueuePush] = [], samples: [QueueLengthSample] = []) -> Recording {
        var header = RecordingHeader(startedAt: start)
        header.queues = ["dify"]
        header.keyspaceEvents = !pushes.isEmpty
        var recording = Recording(header: header)
        recording.events = events
        recording.lengthSamples = samples
        recording.pushes = pushes
        return recording
    }

    @Test func aSkewedNodeIsCorrectedAndReportedAndAnAlignedOneIsNot() {
        let events = Self.lifecycle("a1", receivedAt: Self.start + 1, runtime: 0.01)
            + Self.lifecycle("b1", receivedAt: Self.start + 2, runtime: 0.01, node: "celery@b", skew: 2.5)
        let clocks = ClockAlignment(events: events)
        #expect(clocks.offsets.map(\.node) == ["celery@a", "celery@b"])
        #expect(clocks.offsets.map(\.corrected) == [false, true])
        #expect(abs(clocks.skewSeconds - 2.5) < 0.001)
        #expect(clocks.report.count == 1 && clocks.report[0].contains("celery@b"))
        let started = events.first { $0.type == "task-started" && $0.hostname == "celery@b" }!
        #expect(abs(clocks.time(of: started) - (Self.start + 2.0013)) < 0.0001)
    }

    @Test func attemptsFollowRetriesAndKeepTheExceptionType() {
        var events = Self.lifecycle("ok", receivedAt: Self.start + 1, runtime: 0.02)
        events += [
            Self.event("task-received", "r", at: Self.start + 2, extra: ["name": .string("app.flaky"), "retries": .int(0)]),
            Self.event("task-started", "r", at: Self.start + 2.001),
            Self.event("task-retried", "r", at: Self.start + 2.011, extra: ["exception": .string("ConnectionError('down')")]),
            Self.event("task-received", "r", at: Self.start + 2.012,
                       extra: ["name": .string("app.flaky"), "retries": .int(1), "eta": .string(CeleryTimestamp.format(Int64((Self.start + 4.011) * 1e6)))]),
            Self.event("task-started", "r", at: Self.start + 4.012),
            Self.event("task-failed", "r", at: Self.start + 4.022, extra: ["exception": .string("KeyError('bad key')")]),
        ]
        let output = AttemptReconstruction.attempts(from: events, clocks: ClockAlignment(events: events))
        #expect(output.attempts.count == 3)
        #expect(output.attempts.map(\.outcome) == [.succeeded, .retried, .failed(exception: "KeyError")])
        let models = TaskModel.models(of: output.attempts)
        let flaky = models.first { $0.name == "app.flaky" }!
        #expect(flaky.attempts == 2 && flaky.retried == 1 && flaky.maxRetriesSeen == 1)
        #expect(flaky.failureProbability == 1)
        #expect(abs(flaky.countdowns[0][0] - 2.0) < 0.001)
        #expect(flaky.exceptions.map(\.type) == ["KeyError"])
    }

    @Test func keyspacePushesTimeEachReceiptInFIFOOrderAfterTheBacklogWaitingAtTheStart() {
        // One message was waiting at the start; then three pushes, each received 5 ms later.
        var events = Self.lifecycle("old", receivedAt: Self.start + 0.5, runtime: 0.01)
        var pushes: [QueuePush] = []
        for k in 0..<3 {
            let pushed = Self.start + 1 + Double(k)
            pushes.append(QueuePush(at: pushed, queue: "dify", step: 0, op: "lpush"))
            events += Self.lifecycle("t\(k)", receivedAt: pushed + 0.005, runtime: 0.01)
        }
        let samples = [QueueLengthSample(at: Self.start, lengths: [QueueLength(queue: "dify", step: 0, length: 1)], unacked: 0)]
        let recording = Self.recording(events: events, pushes: pushes, samples: samples)
        let output = AttemptReconstruction.attempts(from: events, clocks: ClockAlignment(events: events))
        var attempts = output.attempts
        for index in attempts.indices { attempts[index].queue = "dify" }
        let outcome = PublishTimes.assign(&attempts, sent: output.sent, recording: recording)
        #expect(outcome.unmatched == 0)
        #expect(attempts[0].publishMethod != .keyspace)
        for k in 0..<3 {
            let attempt = attempts[k + 1]
            #expect(attempt.publishMethod == .keyspace)
            #expect(abs(attempt.queueWait! - 0.006) < 0.0001)
        }
    }

    @Test func queueLengthsPlaceArrivalsWithinTheirSamplingInterval() {
        // Ten messages pushed at 1.002 s and popped by a busy fleet one per 100 ms; lengths sampled every 10 ms.
        var events: [RecordedEvent] = []
        for k in 0..<10 { events += Self.lifecycle("q\(k)", receivedAt: Self.start + 1.05 + 0.1 * Double(k), runtime: 0.09) }
        var samples: [QueueLengthSample] = []
        for j in 0...250 {
            let at = Self.start + 0.9 + 0.01 * Double(j)
            let popped = (0..<10).filter { Self.start + 1.05 + 0.1 * Double($0) + 0.0003 <= at }.count
            let length = at >= Self.start + 1.002 ? 10 - popped : 0
            samples.append(QueueLengthSample(at: at, lengths: [QueueLength(queue: "dify", step: 0, length: length)], unacked: nil))
        }
        let recording = Self.recording(events: events, samples: samples)
        let output = AttemptReconstruction.attempts(from: events, clocks: ClockAlignment(events: events))
        var attempts = output.attempts
        for index in attempts.indices { attempts[index].queue = "dify" }
        _ = PublishTimes.assign(&attempts, sent: output.sent, recording: recording)
        for attempt in attempts {
            #expect(attempt.publishMethod == .queueLength)
            #expect(abs(attempt.publishedAt! - (Self.start + 1.002)) <= 0.01)
        }
    }

    @Test func aBurstIsKeptAsABurstAndTheSteadyRateAsWindows() {
        var arrivals: [LoadModel.Arrival] = []
        for k in 0..<120 { arrivals.append(.init(at: Double(k) * 0.5, task: "app.steady")) }   // 2/s for 60 s
        for k in 0..<500 { arrivals.append(.init(at: 30 + Double(k) * 0.0001, task: "app.import")) }
        let load = LoadModel(arrivals: arrivals, duration: 60, windowSeconds: 30)
        #expect(load.windows.count == 2)
        #expect(load.bursts.count == 1)
        #expect(load.bursts[0].task == "app.import" && load.bursts[0].count == 500 && load.bursts[0].at == 30)
        #expect(load.windows.map { $0.counts.first { $0.task == "app.steady" }!.count } == [60, 60])
        #expect(load.traceCSV.split(separator: "\n").count == 621)
    }

    @Test func runtimesBecomeAnEmpiricalDistributionOrAFitWhenFew() {
        let many = (0..<1000).map { Double($0) / 1000 }
        guard case let .empirical(points, from) = TaskModel.durationModel(many) else { Issue.record("not empirical"); return }
        #expect(points.count == 200 && from == 1000)
        #expect(abs(Quantiles.median(points)! - 0.5) < 0.01)
        guard case let .lognormal(median, p99, _) = TaskModel.durationModel([0.1, 0.12, 0.09, 0.11, 0.1]) else {
            Issue.record("not a fit"); return
        }
        #expect(median > 0.095 && median < 0.11 && p99 > median)
        #expect(TaskModel.durationModel([0.2, 0.2]) == .constant(0.2, from: 2))
    }

    @Test func recordedFiguresCountFinishedTasksWaitsAndBusySlots() throws {
        var events: [RecordedEvent] = []
        var pushes: [QueuePush] = []
        for k in 0..<100 {
            let pushed = Self.start + 0.1 * Double(k)
            pushes.append(QueuePush(at: pushed, queue: "dify", step: 0, op: "lpush"))
            events += Self.lifecycle("f\(k)", receivedAt: pushed + 0.002, runtime: 0.05)
        }
        let output = AttemptReconstruction.attempts(from: events, clocks: ClockAlignment(events: events))
        var attempts = output.attempts
        for index in attempts.indices { attempts[index].queue = "dify" }
        _ = PublishTimes.assign(&attempts, sent: output.sent, recording: Self.recording(events: events, pushes: pushes))
        let figures = CheckFigures.recorded(attempts, origin: Self.start)
        #expect(figures.map(\.task) == [CheckFigures.overall, "app.work"])
        let all = figures[0]
        #expect(abs(all.throughput - 100 / 9.953) < 0.05)
        #expect(abs(all.queueWaitP50! - 0.003) < 0.0001)
        #expect(abs(all.runTimeP50! - 0.05) < 1e-9)
        #expect(abs(all.busySlots - 5 / 9.953) < 0.01)
        let host = HostEstimate(attempts: attempts)
        let latency = try #require(host.brokerLatency), handoff = try #require(host.childHandoff)
        #expect(abs(latency - 0.001) < 0.0001)
        #expect(abs(handoff - 0.001) < 0.0001)
        // With lengths: only the messages published to an empty queue count (here all of them).
        let samples = (0..<1000).map { k in QueueLengthSample(at: Self.start + 0.01 * Double(k), lengths: [QueueLength(queue: "dify", step: 0, length: 0)], unacked: 0) }
        let sampled = HostEstimate(attempts: attempts, samples: samples)
        let sampledLatency = try #require(sampled.brokerLatency)
        #expect(sampled.samples >= 95 && abs(sampledLatency - 0.001) < 0.0001)
    }
}
