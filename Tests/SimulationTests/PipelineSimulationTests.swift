import Foundation
import Reports
import Scenarios
import Simulation
import Testing
import WorkerCore
import Workload

/// Scenario pipelines in the simulator: chains, chords and groups run through the core's canvas
/// decisions, their figures add up, a lost chord member leaves a stuck join, and a seed gives the
/// same pipelines every time.
@Suite("Pipelines in the simulator")
struct PipelineSimulationTests {
    /// parse → split → chord(embed × count) → index, on one queue, `roots` documents published
    /// evenly (at 1 s, 2 s, …); `embed`, `fleet` and `extra` (more YAML at the end) change what is tested.
    static func scenario(roots: Int = 20, count: String = "{uniform: {min: 2, max: 9}}",
                         embed: String = "{name: app.embed, duration: 50ms}",
                         fleet: String = "{name: worker, count: 2, concurrency: 2, prefetch_multiplier: 1, queues: [celery]}",
                         parse: String = "{name: app.parse, duration: 100ms, then: [app.split], on_failure: [app.mark_error]}",
                         extra: String = "", seed: Int = 5) throws -> Scenario {
        try ScenarioLoader.parse(yaml: """
        name: pipes
        seed: \(seed)
        duration: \(roots).5s
        drain: 10m
        fleet:
          - \(fleet)
        tasks:
          - \(parse)
          - name: app.split
            duration: 20ms
            fan_out: {task: app.embed, count: \(count)}
            join: app.index
          - \(embed)
          - {name: app.index, duration: 30ms, on_failure: [app.mark_error]}
          - {name: app.mark_error, duration: 5ms}
        load:
          arrival: even
          phases: [{duration: \(roots).5s, rate: 1/s}]
          mix: {app.parse: 1}
        \(extra)
        """, sourcePath: "pipes.yaml")
    }

    static func run(_ scenario: Scenario, trace: String? = nil) throws -> RunSummary {
        try Simulator(scenario: scenario, options: SimulationOptions(tracePath: trace)).run().summary
    }

    @Test("every pipeline completes; its stages publish one task each and the drawn members for the chord")
    func chordPipelineCompletes() throws {
        let scenario = try Self.scenario()
        let summary = try Self.run(scenario)
        let pipelines = try #require(summary.pipelines)
        // split has followers too, but only ever runs inside parse's pipeline: one root type.
        #expect(pipelines.map(\.root) == ["app.parse"])
        let figures = pipelines[0]
        #expect(figures.started == 20)
        #expect(figures.completed == 20)
        #expect(figures.failed == 0 && figures.stuck == 0)
        #expect(figures.joins == RunSummary.JoinFigures(fired: 20, failed: 0, stuck: 0))
        // The members are the counts FanOutCounts draws for the seed, root by root.
        let plan = try #require(scenario.pipelinePlans[0])
        var stream = SeededRandom.split(seed: 5, stream: FanOutCounts.stream)
        let drawn = (0..<20).map { _ in FanOutCounts.draw(plan, random: &stream)[0] }
        #expect(figures.stages.map(\.tasks) == [20, 20, drawn.reduce(0, +), 20])
        #expect(figures.stages.map(\.ended) == [20, 20, 20, 20])
        #expect(figures.tasksPublished == 60 + drawn.reduce(0, +))
        #expect(summary.counts.published == figures.tasksPublished)
        #expect(summary.counts.succeeded == figures.tasksPublished)
        #expect(Int(try #require(figures.fanOutMembers).max) == drawn.max())
        // End to end is at least the four bodies in a row: 100 + 20 + 50 + 30 ms.
        #expect(figures.latency.p50 >= 200_000)
        #expect(summary.pipelineLatency == figures.latency)
        #expect(summary.metric("pipeline.latency.p99") == Double(figures.latency.p99))
        #expect(summary.metric("pipelines_completed") == 20)
        #expect(summary.invariantViolations.isEmpty)
    }

    @Test("arrivals keep their ids t<n>: the tasks workers publish for a canvas are f<n>")
    func followerIDsDoNotShiftArrivals() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pipes-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try Self.run(try Self.scenario(roots: 5), trace: path)
        let records = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let published = records.filter { $0["ev"] as? String == "publish" }
        let roots = published.filter { $0["name"] as? String == "app.parse" }.compactMap { $0["task"] as? String }
        #expect(roots == ["t1", "t2", "t3", "t4", "t5"])
        let followers = published.filter { $0["name"] as? String != "app.parse" }.compactMap { $0["task"] as? String }
        #expect(!followers.isEmpty && followers.allSatisfy { $0.hasPrefix("f") })
        #expect(records.filter { $0["ev"] as? String == "chord-join" }.count == 5)
        #expect(records.filter { $0["ev"] as? String == "pipeline-end" }.count == 5)
    }

    @Test("a failed chord member fails the join (ChordError): the body never runs and its errbacks do")
    func failedMemberFailsJoin() throws {
        let summary = try Self.run(try Self.scenario(
            roots: 10, embed: "{name: app.embed, duration: 50ms, failure: {probability: 0.2, error: ValueError}}"))
        let figures = try #require(summary.pipelines?.first)
        let joins = try #require(figures.joins)
        #expect(joins.failed > 0)
        #expect(joins.fired + joins.failed == 10)
        #expect(figures.failed == joins.failed)
        #expect(figures.completed == joins.fired)
        // The body ran only for the joins that fired; each failed join called the body's errback.
        let index = try #require(summary.byTask.first { $0.task == "app.index" })
        #expect(index.published == joins.fired)
        let markError = try #require(summary.byTask.first { $0.task == "app.mark_error" })
        #expect(markError.published == joins.failed)
        #expect(figures.stuck == 0)
    }

    @Test("a failing member's own errbacks count in its pipeline's tasks, also from the member that completes a failed join")
    func memberErrbacksCountInThePipeline() throws {
        let summary = try Self.run(try Self.scenario(
            roots: 20, embed: "{name: app.embed, duration: 50ms, failure: {probability: 0.3, error: ValueError}, on_failure: [app.mark_error]}"))
        let figures = try #require(summary.pipelines?.first)
        #expect((figures.joins?.failed ?? 0) > 0)
        // Every task of this run belongs to a pipeline: the pipeline's count is the run's.
        #expect(figures.tasksPublished == summary.counts.published)
    }

    @Test("a failed chain step stops the chain: later stages are never published, errbacks are")
    func failedStepStopsChain() throws {
        let summary = try Self.run(try Self.scenario(
            roots: 8, parse: "{name: app.parse, duration: 100ms, then: [app.split], on_failure: [app.mark_error], failure: {probability: 1, error: ValueError}}"))
        let figures = try #require(summary.pipelines?.first)
        #expect(figures.failed == 8)
        #expect(figures.completed == 0)
        #expect(figures.stages.map(\.tasks) == [8, 0, 0, 0])
        #expect(summary.byTask.first { $0.task == "app.mark_error" }?.published == 8)
        #expect(figures.tasksPublished == 16)
        #expect(summary.metric("pipelines_failed") == 8)
    }

    @Test("a member lost with its worker (no acks_late) leaves its join stuck, and the report says where")
    func lostMemberLeavesStuckJoin() throws {
        let scenario = try Self.scenario(
            roots: 30, embed: "{name: app.embed, duration: 1s}",
            extra: "faults:\n  - {at: 10300ms, kill_worker: worker-1}\n  - {at: 12s, restart_worker: worker-1}")
        let summary = try Self.run(scenario)
        let figures = try #require(summary.pipelines?.first)
        #expect(summary.counts.lost > 0)
        let joins = try #require(figures.joins)
        #expect(joins.stuck > 0)
        // Bodies lost with the worker leave their pipelines stuck too, past the join.
        #expect(figures.stuck >= joins.stuck)
        #expect(figures.completed + figures.stuck == 30)
        #expect(summary.metric("joins_stuck") == Double(joins.stuck))
        #expect(figures.stuckExamples.count == min(5, figures.stuck))
        #expect(figures.stuckExamples.contains { $0.contains("chord(app.embed × n)") && $0.contains("members returned") })
        // A stuck pipeline counts as lasting until the end of the run: past the 10 min drain.
        #expect(figures.latency.max >= 600_000_000)
    }

    @Test("the same member lost under acks_late comes back after the visibility timeout and every join fires")
    func acksLateRecoversJoin() throws {
        let scenario = try Self.scenario(
            roots: 30, embed: "{name: app.embed, duration: 1s}",
            fleet: "{name: worker, count: 2, concurrency: 2, prefetch_multiplier: 1, queues: [celery], acks_late: true}",
            extra: "broker: {visibility_timeout: 2m}\nfaults:\n  - {at: 10300ms, kill_worker: worker-1}\n  - {at: 12s, restart_worker: worker-1}")
        let summary = try Self.run(scenario)
        let figures = try #require(summary.pipelines?.first)
        #expect(summary.counts.lost == 0)
        #expect(summary.counts.restored > 0)
        #expect(figures.completed == 30)
        #expect(figures.joins?.stuck == 0)
    }

    @Test("a group without join ends its pipeline when every member has ended")
    func unjoinedGroupEndsPipeline() throws {
        let summary = try Self.run(try ScenarioLoader.parse(yaml: """
        name: fan
        seed: 2
        duration: 5500ms
        fleet: [{name: worker, count: 1, concurrency: 2, queues: [celery]}]
        tasks:
          - {name: app.notify_all, duration: 10ms, fan_out: {task: app.send, count: 4}}
          - {name: app.send, duration: 100ms}
        load: {arrival: even, phases: [{duration: 5500ms, rate: 1/s}], mix: {app.notify_all: 1}}
        """, sourcePath: "fan.yaml"))
        let figures = try #require(summary.pipelines?.first)
        #expect(figures.shape == "app.notify_all → group(app.send × n)")
        #expect(figures.started == 5 && figures.completed == 5)
        #expect(figures.joins == nil)
        #expect(figures.stages.map(\.tasks) == [5, 20])
        // Four 100 ms members on two processes: the last ends at least 200 ms after they start.
        #expect(figures.latency.p50 >= 210_000)
        #expect(figures.loadMultiplier == 5)
    }

    @Test("a seed gives the same pipelines, trace and figures; another seed other ones")
    func deterministic() throws {
        let first = try Self.run(try Self.scenario())
        let second = try Self.run(try Self.scenario())
        #expect(first.traceHash == second.traceHash)
        #expect(first.pipelines == second.pipelines)
        let other = try Self.run(try Self.scenario(seed: 6))
        #expect(other.pipelines?.first?.tasksPublished != first.pipelines?.first?.tasksPublished
                || other.traceHash != first.traceHash)
    }

    @Test("a scenario without followers writes no pipeline figures")
    func plainScenarioHasNone() throws {
        let summary = try Self.run(try ScenarioLoader.parse(yaml: """
        name: plain
        duration: 3s
        fleet: [{name: worker, count: 1, concurrency: 1, queues: [celery]}]
        tasks: [{name: app.a, duration: 10ms}]
        load: {phases: [{duration: 3s, rate: 2/s}], mix: {app.a: 1}}
        """, sourcePath: "plain.yaml"))
        #expect(summary.pipelines == nil)
        #expect(summary.pipelineLatency == nil)
    }
}
