import Foundation
import Reports
import Scenarios
import Simulation
import Testing

/// Pipeline figures in the text summary, report.html and the regression gate (issue 17).
@Suite("Pipeline reporting")
struct PipelineReportingTests {
    func plain() throws -> RunSummary {
        try Simulator(scenario: makeScenario(rate: 10)).run().summary
    }

    func withPipelines(stuckJoins: Int) throws -> RunSummary {
        var s = try plain()
        var p = RunSummary.PipelineFigures(root: "tasks.parse", shape: "tasks.parse → chord(tasks.embed × n) → tasks.index")
        p.started = 10; p.completed = 10 - stuckJoins; p.stuck = stuckJoins; p.tasksPublished = 80
        p.latency = Percentiles(p50: 2_000_000, p90: 3_000_000, p99: 4_000_000, max: 5_000_000, mean: 2_500_000)
        p.fanOutMembers = Percentiles(p50: 6, p90: 8, p99: 9, max: 9, mean: 6)
        var stage = RunSummary.StageFigures(stage: "chord(tasks.embed × n)")
        stage.tasks = 60; stage.ended = 10 - stuckJoins
        p.stages = [RunSummary.StageFigures(stage: "tasks.parse"), stage]
        p.joins = RunSummary.JoinFigures(fired: 10 - stuckJoins, failed: 0, stuck: stuckJoins)
        if stuckJoins > 0 { p.stuckExamples = ["t3 stopped at stage 2 of 3"] }
        s.pipelines = [p]
        s.pipelineLatency = p.latency
        return s
    }

    @Test("a plain run prints no pipelines block and no pipeline rows are compared")
    func plainRun() throws {
        let s = try plain()
        #expect(PipelineText.lines(s).isEmpty)
        #expect(!HTMLReport.render(s).contains("Pipelines"))
        let rows = SummaryComparison(baseline: s, new: s, tolerancePercent: 0).rows
        #expect(!rows.contains { $0.figure.contains("pipeline") })
    }

    @Test("the text block names the shape, counts, load multiplier, joins and stuck examples")
    func text() throws {
        let text = PipelineText.lines(try withPipelines(stuckJoins: 2)).joined(separator: "\n")
        #expect(text.contains("tasks.parse: tasks.parse → chord(tasks.embed × n) → tasks.index"))
        #expect(text.contains("started 10  completed 8  failed 0  stuck 2"))
        #expect(text.contains("load ×8.00"))
        #expect(text.contains("joins fired 8  failed 0  stuck 2"))
        #expect(text.contains("t3 stopped at stage 2 of 3"))
        #expect(PipelineText.stuckWarning(try withPipelines(stuckJoins: 2))?.contains("2 joins never fired") == true)
        #expect(PipelineText.stuckWarning(try withPipelines(stuckJoins: 0)) == nil)
    }

    @Test("report.html has a Pipelines section with a warning only when a join is stuck")
    func html() throws {
        let stuck = HTMLReport.render(try withPipelines(stuckJoins: 2))
        #expect(stuck.contains("<h2>Pipelines</h2>"))
        #expect(stuck.contains("2 joins never fired: a member never returned — see stuck examples"))
        let fine = HTMLReport.render(try withPipelines(stuckJoins: 0))
        #expect(fine.contains("<h2>Pipelines</h2>"))
        #expect(!fine.contains("joins never fired"))
    }

    @Test("the gate fails on a changed pipeline count and names it")
    func gate() throws {
        let a = try withPipelines(stuckJoins: 0), b = try withPipelines(stuckJoins: 1)
        let comparison = SummaryComparison(baseline: a, new: b, tolerancePercent: 0)
        let failing = Set(comparison.regressions.map(\.figure))
        #expect(failing.contains("pipelines_stuck"))
        #expect(failing.contains("joins_stuck"))
        #expect(failing.contains("pipelines[tasks.parse].stuck"))
        #expect(!SummaryComparison(baseline: a, new: a, tolerancePercent: 0).fails(tolerancePercent: 0))
    }
}
