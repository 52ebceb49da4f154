import Foundation
import Testing
import Scenarios
import Simulation
@testable import Exploration

/// Reading a trace back decodes each record's kind with `TraceKind(rawValue:)`; a kind this build
/// does not know is kept as text, told and reported, never a crash.
@Suite("trace kinds read back")
struct TraceKindReadingTests {
    static let unknownLine = #"{"t":3.000000,"ev":"ev-from-the-future","task":"t1","worker":"worker-1"}"#

    static func writeTrace(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lovage-trace-kinds-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a record of an unknown kind parses, keeps its text and prints back as it was")
    func unknownKindParses() throws {
        let record = try #require(TraceRecord(line: Substring(Self.unknownLine)))
        #expect(record.kind == nil)
        #expect(record.kindText == "ev-from-the-future")
        #expect(!record.endsTask)
        #expect(record.line == Self.unknownLine)
        let known = try #require(TraceRecord(line: #"{"t":1.000000,"ev":"oom-kill","worker":"worker-1","limit":"1024"}"#))
        #expect(known.kind == .oomKill)
        #expect(known.kind?.isWorkerEvent == true)
    }

    @Test("an excerpt reports unknown kinds once each, and the story tells their records as they are")
    func unknownKindReportedAndTold() throws {
        let path = try Self.writeTrace([
            #"{"t":0.000000,"ev":"publish","task":"t1","tag":"d1","name":"app.work","queue":"celery"}"#,
            #"{"t":1.000000,"ev":"deliver","task":"t1","worker":"worker-1","tag":"d1","redelivered":"0"}"#,
            Self.unknownLine,
            #"{"t":4.000000,"ev":"ev-from-the-future","worker":"worker-2"}"#,
            #"{"t":5.000000,"ev":"another-new-kind"}"#,
            #"{"t":6.000000,"ev":"start","task":"t1","worker":"worker-1","slot":"0","retries":"0"}"#,
            #"{"t":7.000000,"ev":"task-succeeded","task":"t1","worker":"worker-1","detail":""}"#,
        ])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let excerpt = try TraceExcerpt.read(path: path, tasks: ["t1"])
        #expect(excerpt.unknownKinds == ["ev-from-the-future", "another-new-kind"])
        let records = try #require(excerpt.recordsByTask["t1"])
        #expect(records.map(\.kindText) == ["publish", "deliver", "ev-from-the-future", "start", "task-succeeded"])
        #expect(excerpt.lastFinishingTask == "t1")
        let scenario = try ScenarioLoader.parse(yaml: """
            name: story
            duration: 10s
            fleet:
              - {name: worker, count: 1}
            tasks:
              - {name: app.work, duration: 1s}
            load:
              phases:
                - {duration: 10s, rate: 1/s}
            """, sourcePath: "story.yaml")
        let story = TaskStory(taskID: "t1", records: records, workerEvents: excerpt.workerEvents, scenario: scenario)
        #expect(story.lines.contains("00:00:03.000  ev-from-the-future (a record kind this build does not know) task=t1 worker=worker-1"))
        #expect(story.lines.contains("00:00:07.000  succeeded on worker-1"))
    }

    @Test("every record the simulator writes decodes to a known kind")
    func simulatedTraceHasNoUnknownKinds() throws {
        let scenario = try PainPointScenarios.parse(PainPointScenarios.etaFlood(memoryLimit: "128MiB"), "flood")
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lovage-trace-kinds-sim-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try Simulator(scenario: scenario, options: SimulationOptions(tracePath: path)).run()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var kinds: Set<String> = []
        for line in text.split(separator: "\n") {
            let record = try #require(TraceRecord(line: line), "\(line)")
            #expect(record.kind != nil, "\(line)")
            kinds.insert(record.kindText)
        }
        // The flood's OOM kills and restarts are worker events the excerpt keeps.
        #expect(kinds.isSuperset(of: ["publish", "deliver", "start", "ack", "task-succeeded", "oom-kill", "oom-restart", "end"]))
        let excerpt = try TraceExcerpt.read(path: path, tasks: [])
        #expect(excerpt.unknownKinds.isEmpty)
        #expect(excerpt.workerEvents.contains { $0.kind == .oomKill })
    }
}
