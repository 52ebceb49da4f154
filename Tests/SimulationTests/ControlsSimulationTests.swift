import Foundation
import Testing
import Reports
import Scenarios
@testable import Simulation
import WorkerCore

/// A scenario's `controls:` act on the simulated workers at their virtual time, through the core's
/// own control input (`WorkerCore.control`), and show in the trace and the summary.
@Suite("Scenario controls in the simulator")
struct ControlsSimulationTests {
    /// One worker, `concurrency` 1 process, 1 s tasks published at 4/s for 20 s: a backlog at
    /// once; the controls section given is appended.
    static func scenario(_ controls: String, extraTask: Bool = false) throws -> Scenario {
        try ScenarioLoader.parse(yaml: """
        name: ctl
        seed: 3
        duration: 20s
        drain: 2m
        fleet:
          - {name: worker, count: 1, concurrency: 1, prefetch_multiplier: 1, queues: [celery]}
        tasks:
          - {name: app.work, duration: 1s}
        load:
          arrival: even
          phases: [{duration: 20s, rate: 4/s}]
          mix: {app.work: 1}
        controls:
        \(controls)
        """, sourcePath: "ctl.yaml")
    }

    /// Runs with a trace and returns the summary and the trace's lines.
    static func run(_ scenario: Scenario) throws -> (summary: RunSummary, trace: [Substring]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ctl-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Simulator(scenario: scenario, options: SimulationOptions(seed: 3, tracePath: path)).run()
        return (result.summary, try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n"))
    }

    /// The virtual second of each `start` record.
    static func startTimes(_ trace: [Substring]) -> [Double] {
        trace.filter { $0.contains(#""ev":"start""#) }.compactMap { line in
            line.firstMatch(of: /"t":([0-9.]+)/).flatMap { Double($0.1) }
        }
    }

    @Test("a control is traced and summarised once per addressed worker, with the core's reply")
    func tracedAndSummarised() throws {
        let (summary, trace) = try Self.run(try Self.scenario("  - {at: 5s, control: {command: pool_grow, n: 3}}"))
        let records = trace.filter { $0.contains(#""ev":"control""#) }
        #expect(records.count == 1)
        #expect(records.first?.contains("pool_grow n=3") == true)
        #expect(summary.controls?.count == 1)
        #expect(summary.controls?.first?.worker == "worker-1")
        #expect(summary.controls?.first?.atSeconds == 5)
        #expect(summary.controlLines.first?.hasPrefix("controls applied: 1") == true)
    }

    @Test("pool_grow at 5s: one task at a time before it, four at once after it")
    func poolGrowRaisesConcurrency() throws {
        let (summary, trace) = try Self.run(try Self.scenario("  - {at: 5s, control: {command: pool_grow, n: 3}}"))
        #expect(summary.controls?.first?.status == "ok")
        let starts = Self.startTimes(trace)
        // 1 s tasks on one process: before 5 s starts are at least ~1 s apart.
        let before = starts.filter { $0 < 5 }
        #expect(before.count <= 6)
        // After the grow, four processes: the next 4 s see far more than 4 starts.
        let after = starts.filter { $0 >= 5.5 && $0 < 9.5 }
        #expect(after.count >= 12)
    }

    @Test("revoke task_index 30 (published at 7.5s, after the control): that task is revoked, never started")
    func revokeByIndex() throws {
        let (summary, trace) = try Self.run(try Self.scenario("  - {at: 2s, control: {command: revoke, task_index: 30}}"))
        #expect(summary.controls?.first?.control == "revoke ids=t31")
        #expect(summary.counts.revoked == 1)
        #expect(!trace.contains { $0.contains(#""ev":"start""#) && $0.contains(#""task":"t31""#) })
        #expect(trace.contains { $0.contains(#""ev":"task-revoked""#) && $0.contains(#""task":"t31""#) })
    }

    @Test("rate_limit 1/2s after a pool grow: starts are spaced two seconds apart")
    func rateLimitSpacesStarts() throws {
        let (_, trace) = try Self.run(try Self.scenario("""
          - {at: 1s, control: {command: pool_grow, n: 3}}
          - {at: 6s, control: {command: rate_limit, task: app.work, rate: 30/m}}
        """))
        let starts = Self.startTimes(trace).filter { $0 >= 8 && $0 < 30 }
        #expect(starts.count >= 5)
        for (a, b) in zip(starts, starts.dropFirst()) { #expect(b - a >= 1.99) }
    }

    @Test("same seed, same controls: the same trace hash")
    func deterministic() throws {
        let scenario = try Self.scenario("""
          - {at: 3s, control: {command: pool_grow, n: 2}}
          - {at: 6s, control: {command: revoke, queued: app.work}}
          - {at: 8s, control: {command: rate_limit, task: app.work, rate: 2/s}}
        """)
        let a = try Simulator(scenario: scenario).run().summary
        let b = try Simulator(scenario: scenario).run().summary
        #expect(a.traceHash == b.traceHash)
        #expect(a.controls == b.controls)
        #expect(a.controls?.count == 3)
    }
}
