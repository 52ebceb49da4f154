import CeleryWire
import Foundation
import Scenarios
import Testing
@testable import Calibration
@testable import FleetRecording

/// From a recording to a scenario that loads and reproduces it: the shipped recording of the shop
/// fleet (examples/shop-recording: two Python Celery 5.7 workers -c 2 with Dify's settings, three
/// task types, one retrying, a ramp and a burst), and hand-made recordings for the bad cases.
struct CalibratorTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/shop-recording").path

    /// Writes the scenario and its trace into a fresh directory and loads it as `validate` would.
    static func written(_ calibration: Calibration, form: ScenarioText.LoadForm = .trace) throws -> (Scenario, String) {
        let dir = NSTemporaryDirectory() + "lovage-calibrated-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var options = ScenarioText.Options(name: "calibrated-test", source: "test", traceFile: "calibrated.trace.csv")
        options.loadForm = form
        let yaml = ScenarioText.yaml(calibration, options)
        try calibration.load.traceCSV.write(toFile: dir + "/calibrated.trace.csv", atomically: true, encoding: .utf8)
        try yaml.write(toFile: dir + "/calibrated.yaml", atomically: true, encoding: .utf8)
        return (try ScenarioLoader.load(path: dir + "/calibrated.yaml"), yaml)
    }

    @Test func theShippedRecordingCalibratesIntoTheFleetAndTasksItCameFrom() throws {
        let calibration = try Calibrator.calibrate(try RecordingReader.read(Self.shipped))
        #expect(calibration.fleet.groups.count == 1)
        let group = try #require(calibration.fleet.groups.first)
        #expect(group.nodes == ["w1@shop", "w2@shop"] && group.concurrency == 2 && group.prefetchMultiplier == 1 && group.acksLate)
        #expect(group.queues == ["dify"])
        #expect(calibration.tasks.map(\.name) == ["shop.build_report", "shop.resize_image", "shop.send_receipt"])
        let receipt = try #require(calibration.tasks.last)
        #expect(receipt.retried > 20 && receipt.maxRetriesSeen >= 1 && receipt.retryExceptions.first?.type == "ConnectionError")
        // autoretry_for with countdown 0.5 s: every countdown is half a second.
        let countdowns = receipt.countdowns.flatMap { $0 }
        #expect(!countdowns.isEmpty && countdowns.allSatisfy { abs($0 - 0.5) < 0.05 })
        #expect(calibration.load.arrivals.count == 719)
        #expect(calibration.publish.byMethod.first?.0 == .keyspace)
        // The burst of 120 resizes at 20 s of the load is one second with far more than the rest.
        let (scenario, yaml) = try Self.written(calibration)
        #expect(scenario.fleet.count == 1 && scenario.fleet[0].count == 2 && scenario.fleet[0].concurrency == 2)
        #expect(scenario.tasks.count == 3)
        #expect(yaml.contains("autoretry_for: [ConnectionError]") && yaml.contains("# empirical: 426 recorded run times, as 200 quantile points"))
        #expect(yaml.contains("trace: calibrated.trace.csv"))
    }

    @Test func phasesKeepTheBurstAsABurstAndLoad() throws {
        let calibration = try Calibrator.calibrate(try RecordingReader.read(Self.shipped), windowSeconds: 10)
        let burst = try #require(calibration.load.bursts.first { $0.task == "shop.resize_image" })
        #expect(burst.count >= 100 && burst.count <= 125)
        let (scenario, _) = try Self.written(calibration, form: .phases)
        #expect(scenario.load.bursts.contains { $0.count == burst.count })
        #expect(scenario.load.phases.count == calibration.load.windows.count)
    }

    @Test func theCheckReproducesTheShippedRecordingOverall() throws {
        let calibration = try Calibrator.calibrate(try RecordingReader.read(Self.shipped))
        let (scenario, _) = try Self.written(calibration)
        let check = try CalibrationCheck.run(scenario: scenario, calibration: calibration, seeds: [1, 2])
        let overall = try #require(check.rows.first { $0.task == CheckFigures.overall })
        for name in ["throughput/s", "queue wait p99", "run time p50"] {
            let figure = try #require(overall.figures.first { $0.name == name })
            #expect(figure.within == true, "\(name): recorded \(figure.recorded ?? -1), simulated \(figure.simulated)")
        }
        #expect(check.traceHashes.count == 2 && check.traceHashes[0] != check.traceHashes[1])
    }

    @Test func aRecordingWithoutTaskEventsIsRefusedSayingWhy() throws {
        var recording = Recording(header: RecordingHeader(startedAt: 1_800_000_000))
        recording.events = [RecordedEvent(receivedAt: 1_800_000_001, type: "worker-heartbeat", hostname: "w1@a", timestamp: 1_800_000_001,
                                          utcoffset: 0, clock: 1, pid: 1, fields: [:])]
        do { _ = try Calibrator.calibrate(recording); Issue.record("calibrated a recording without task events") } catch {
            #expect(error.description.contains("no task events") && error.description.contains("1 worker events from 1 node"))
        }
    }

    @Test func tasksNeverSeenFinishingAreLeftOutByName() throws {
        var events = CalibrationPartsTests.lifecycle("a", receivedAt: CalibrationPartsTests.start + 1, runtime: 0.01)
        events.append(CalibrationPartsTests.event("task-received", "b", at: CalibrationPartsTests.start + 2,
                                                  extra: ["name": "app.stuck", "retries": 0]))
        let calibration = try Calibrator.calibrate(CalibrationPartsTests.recording(events: events))
        #expect(calibration.tasks.map(\.name) == ["app.work"])
        #expect(calibration.leftOut.map(\.task) == ["app.stuck"] && calibration.leftOut[0].reason.contains("none seen finishing"))
    }

    @Test func aChildPublishedByEachSuccessIsAChainLinkNotATraceRow() throws {
        var events: [RecordedEvent] = []
        for k in 0..<10 {
            let t = CalibrationPartsTests.start + Double(k)
            events += CalibrationPartsTests.lifecycle("p\(k)", name: "app.parse", receivedAt: t, runtime: 0.01)
            var child = CalibrationPartsTests.lifecycle("c\(k)", name: "app.index", receivedAt: t + 0.02, runtime: 0.02)
            child[0].fields.set(.string("p\(k)"), forKey: "parent_id")
            events += child
        }
        let calibration = try Calibrator.calibrate(CalibrationPartsTests.recording(events: events))
        #expect(calibration.chains.map(\.parent) == ["app.parse"] && calibration.chains.map(\.child) == ["app.index"])
        #expect(calibration.load.arrivals.allSatisfy { $0.task == "app.parse" } && calibration.load.arrivals.count == 10)
        let (scenario, yaml) = try Self.written(calibration)
        #expect(yaml.contains("then: [app.index]"))
        #expect(scenario.tasks.first { $0.name == "app.parse" } != nil)
    }

    @Test func childrenPublishedManyToAParentSuccessAreAGroupWithTheirCounts() throws {
        var events: [RecordedEvent] = []
        for k in 0..<12 {
            let t = CalibrationPartsTests.start + Double(k)
            events += CalibrationPartsTests.lifecycle("s\(k)", name: "app.split", receivedAt: t, runtime: 0.01)
            for m in 0..<(3 + k % 3) {
                var child = CalibrationPartsTests.lifecycle("e\(k)-\(m)", name: "app.embed", receivedAt: t + 0.02 + 0.01 * Double(m), runtime: 0.005)
                child[0].fields.set(.string("s\(k)"), forKey: "parent_id")
                events += child
            }
        }
        let calibration = try Calibrator.calibrate(CalibrationPartsTests.recording(events: events))
        #expect(calibration.chains.isEmpty)
        let group = try #require(calibration.fanOuts.first)
        #expect(group.parent == "app.split" && group.child == "app.embed" && group.counts == [3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5])
        #expect(calibration.load.arrivals.count == 12 && calibration.load.arrivals.allSatisfy { $0.task == "app.split" })
        let (scenario, yaml) = try Self.written(calibration)
        #expect(yaml.contains("count: {empirical: [3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5]}"))
        let split = try #require(scenario.tasks.first { $0.name == "app.split" })
        #expect(split.followers.fanOut?.task == "app.embed")
    }

    @Test func aKeptResultGivesTheResultSizeAndAReservedPriorityThePriority() throws {
        var events: [RecordedEvent] = []
        for k in 0..<40 {
            var life = CalibrationPartsTests.lifecycle("r\(k)", name: "app.report", receivedAt: CalibrationPartsTests.start + Double(k), runtime: 0.01)
            life[2].fields.set(.string(String(repeating: "x", count: 100 + k)), forKey: "result")
            events += life
        }
        var recording = CalibrationPartsTests.recording(events: events)
        recording.fleet = [FleetSnapshot(at: CalibrationPartsTests.start + 5, node: "celery@a", stats: nil, activeQueues: [], conf: nil,
                                         registered: [], reserved: [ReservedTask(id: "r5", name: "app.report", queue: "dify", priority: 7)])]
        let calibration = try Calibrator.calibrate(recording)
        let model = try #require(calibration.tasks.first)
        #expect(model.resultBytes == 120 && model.priority == 7)
        let (scenario, yaml) = try Self.written(calibration)
        #expect(yaml.contains("result_size: 120B") && yaml.contains("priority: 7"))
        #expect(scenario.tasks[0].priority == 7)
    }

    @Test func hostSettingsRoundTripAndBadOnesNameTheKey() throws {
        let settings = HostSettings(source: "test", cores: 4, cpuPerTask: 0.0007, brokerLatency: 0.00005, childHandoff: 0.0003, taskOverhead: 0.00015)
        #expect(try HostSettings.parse(settings.yaml, path: "host.yaml") == settings)
        do { _ = try HostSettings.parse("host: {cores: 0, cpu_per_task: 1ms}", path: "h.yaml"); Issue.record("accepted 0 cores") } catch {
            #expect(error.description == "h.yaml: host.cores: expected a positive number of cores")
        }
        do { _ = try HostSettings.parse("host: {cores: 2, cpu_per_task: 1ms}\nbroker: {latency: fast}", path: "h.yaml"); Issue.record("accepted fast") } catch {
            #expect(error.description.contains("broker.latency: expected a duration"))
        }
    }
}
