import CeleryWire
@testable import RealRun
import Scenarios
import Testing
import WorkerCore
import Workload

/// A real run's pipelines: the whole canvas frozen into the root's message as Celery's client sends
/// it, the fan-out counts the simulator draws for the same seed, and the figures read back from
/// result documents.
@Suite("real-run pipelines")
struct PipelineLoadTests {
    static let yaml = """
        name: pipeline-small
        seed: 3
        duration: 4s
        drain: 10s
        fleet:
          - {name: worker, count: 2, concurrency: 2, queues: [docs], acks_late: true}
        routes:
          'doc.*': docs
        tasks:
          - name: doc.parse
            duration: {constant: 20ms}
            then: [doc.split]
            on_failure: [doc.mark_error]
          - name: doc.split
            duration: {constant: 10ms}
            fan_out: {task: doc.embed, count: {uniform: {min: 3, max: 5}}}
            join: doc.update_index
          - name: doc.embed
            duration: {constant: 15ms}
            on_failure: [doc.mark_error]
          - name: doc.update_index
            duration: {constant: 10ms}
          - name: doc.mark_error
            duration: 5ms
        load:
          arrival: even
          phases:
            - {duration: 4s, rate: 2/s}
          mix: {doc.parse: 1}
        """

    static func load() throws -> (Scenario, [PlannedTask], PipelineLoad) {
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "pipeline.yaml")
        let plan = ArrivalPlan.tasks(for: scenario, seed: 3)
        return (scenario, plan, PipelineLoad(plan: plan, scenario: scenario, seed: 3))
    }

    @Test("each root's groups get FanOutCounts' draws from stream 6 in plan order, as the simulator draws them")
    func countsMatchTheSimulatorsDraws() throws {
        let (scenario, plan, load) = try Self.load()
        #expect(load.pipelines.count == plan.count)
        var stream = SeededRandom.split(seed: 3, stream: FanOutCounts.stream)
        let pipelinePlan = try #require(scenario.pipelinePlans[0])
        for pipeline in load.pipelines {
            #expect(pipeline.groupCounts == FanOutCounts.draw(pipelinePlan, random: &stream))
            // split, the chord's members, update_index; each embed has its errback.
            #expect(pipeline.stageTasks.map(\.count) == [0, 1, pipeline.groupCounts[0], 1])
            for member in pipeline.stageTasks[2] { #expect(load.followers[member].errbacks.count == 1) }
            #expect(pipeline.rootErrbacks.count == 1)
        }
        #expect(Set(load.pipelines.map(\.groupCounts[0])).count > 1)
        let ids = load.followers.map(\.id) + load.pipelines.compactMap { $0.groupIDs[2] }
        #expect(Set(ids).count == ids.count)
    }

    @Test("the root carries the rest frozen and immutable: split, then a chord of the embeds with update_index as its body")
    func rootMessageCarriesTheCanvas() throws {
        let (scenario, _, load) = try Self.load()
        let canvas = PipelineCanvas(load: load, scenario: scenario, kwargs: { ["duration_ms": .int(Int64($0))] },
                                    queue: { _ in "docs" })
        let (chainJSON, errbacksJSON) = canvas.embed(ofPlanIndex: 0)
        let pipeline = load.pipelines[0]
        let chain = try CanvasSignature.decodeList(chainJSON, path: "chain")
        // Last first: the worker pops the next step from the end.
        #expect(chain.map(\.task) == ["celery.chord", "doc.split"])
        let split = chain[1]
        #expect(split.immutable)
        #expect(split.taskID == load.followers[pipeline.stageTasks[1][0]].id)
        #expect(split.options["queue"]?.stringValue == "docs")
        guard case .chord(let header, let body) = chain[0].form else {
            Issue.record("expected a chord, got \(chain[0].form)")
            return
        }
        #expect(chain[0].options["task_id"]?.stringValue == pipeline.groupIDs[2])
        #expect(header.map(\.taskID) == pipeline.stageTasks[2].map { load.followers[$0].id })
        #expect(header.map { $0.options["group_index"]?.intValue } == header.indices.map { Int64($0) })
        #expect(header.allSatisfy { $0.immutable && $0.task == "doc.embed" })
        // Each member's errback is frozen in its link_error; the body continues the chain.
        let memberErrbacks = try CanvasSignature.decodeList(header[0].options["link_error"] ?? .null, path: "link_error")
        #expect(memberErrbacks.map(\.taskID) == [load.followers[load.followers[pipeline.stageTasks[2][0]].errbacks[0]].id])
        #expect(body.task == "doc.update_index" && body.immutable)
        #expect(body.taskID == load.followers[pipeline.stageTasks[3][0]].id)
        #expect(body.kwargs["duration_ms"]?.intValue == Int64(pipeline.stageTasks[3][0]))
        let rootErrbacks: [CanvasSignature] = try CanvasSignature.decodeList(errbacksJSON, path: "errbacks")
        let errbackNames = rootErrbacks.map(\.task)
        #expect(errbackNames == ["doc.mark_error"])
        #expect(rootErrbacks.allSatisfy { $0.immutable })
    }

    /// The figures of pipeline 0 when each of its tasks' results is as `status` says (nil: no document).
    static func outcomes(_ load: PipelineLoad, root: String?, follower: @escaping (Int) -> String?) -> PipelineOutcomes {
        PipelineOutcomes(
            load: load, names: ["doc.parse", "doc.split", "doc.embed", "doc.update_index", "doc.mark_error"],
            finishedAtMicros: 10_000_000, sent: { $0 == 0 }, intendedMicros: { _ in 0 }, id: { _ in "root-0" },
            planned: { _ in root.map { .init(status: $0, doneMicros: 100_000) } },
            follower: { index in follower(index).map { .init(status: $0, doneMicros: 200_000 + Int64(index) * 1_000) } })
    }

    @Test("a pipeline read back from results: completed, a failed chain step, a failed join, a stuck join")
    func figuresFromResults() throws {
        let (_, _, load) = try Self.load()
        let pipeline = load.pipelines[0]
        let members = Set(pipeline.stageTasks[2])
        let body = pipeline.stageTasks[3][0]
        let errbacks = Set(load.followers.indices.filter { load.followers[$0].stage == nil })

        let completed = Self.outcomes(load, root: "SUCCESS") { errbacks.contains($0) ? nil : "SUCCESS" }
        var figures = try #require(completed.tallies.figures.first)
        #expect((figures.started, figures.completed, figures.failed, figures.stuck) == (1, 1, 0, 0))
        #expect(figures.joins?.fired == 1)
        #expect(figures.tasksPublished == 3 + members.count)
        #expect(completed.allEnded)
        #expect(completed.publishedMicros[body] == 200_000 + Int64(members.max()!) * 1_000)

        // parse fails: its errback runs; the FAILURE documents under the later steps are not runs.
        let failedStep = Self.outcomes(load, root: "FAILURE") { errbacks.contains($0) ? "SUCCESS" : "FAILURE" }
        figures = try #require(failedStep.tallies.figures.first)
        #expect((figures.completed, figures.failed) == (0, 1))
        #expect(figures.tasksPublished == 2)
        #expect(failedStep.publishedMicros[pipeline.stageTasks[1][0]] == nil)
        #expect(failedStep.publishedMicros[pipeline.rootErrbacks[0]] == 100_000)

        // One embed fails: the join fails (ChordError in the body), the member's and the body's errbacks run.
        let failing = pipeline.stageTasks[2][0]
        let failedJoin = Self.outcomes(load, root: "SUCCESS") { index in
            index == failing || index == body ? "FAILURE" : "SUCCESS"
        }
        figures = try #require(failedJoin.tallies.figures.first)
        #expect((figures.completed, figures.failed) == (0, 1))
        #expect(figures.joins.map { ($0.fired, $0.failed) } ?? (0, 0) == (0, 1))
        #expect(failedJoin.publishedMicros[body] == nil)
        #expect(failedJoin.publishedMicros[load.followers[failing].errbacks[0]] != nil)

        // One embed never returns: the join is stuck, and the example says where.
        let lostMember = pipeline.stageTasks[2][1]
        let stuck = Self.outcomes(load, root: "SUCCESS") { index in
            index == lostMember || errbacks.contains(index) ? nil : (index == body ? nil : "SUCCESS")
        }
        figures = try #require(stuck.tallies.figures.first)
        #expect((figures.completed, figures.failed, figures.stuck) == (0, 0, 1))
        #expect(figures.joins?.stuck == 1)
        #expect(!stuck.allEnded)
        #expect(figures.stuckExamples == ["root-0 published at 0.000s, stopped at stage 3 of 4, chord(doc.embed × n): \(members.count - 1) of \(members.count) members returned"])
        // Its latency runs to the end of the run (the histogram keeps 3 significant digits).
        #expect((stuck.tallies.latency?.max ?? 0) / 10_000 == 1_000)
    }
}
