import Scenarios
import WorkerCore

/// Accumulates `RunSummary.PipelineFigures` while a run goes, one tally per root task type, in the
/// scenario's task order; the simulator and a real run's collector feed it the same events.
public struct PipelineTallies: Sendable {
    struct Tally: Sendable {
        var figures: RunSummary.PipelineFigures
        var latency = DurationHistogram()
        /// Counts recorded as if microseconds: the histogram only keeps numbers.
        var fanOut = DurationHistogram()
        var spans: [DurationHistogram]
        var joined: Bool
    }

    /// By root type index; nil for a type that starts no pipeline.
    private var tallies: [Tally?]
    private var all = DurationHistogram()
    public static let stuckExamplesKept = 5

    /// `stages[i]` names the stages of type i's pipeline (nil: a plain type); `joined[i]`: it has a chord.
    public init(shapes: [(root: String, shape: String, stages: [String], joined: Bool)?]) {
        tallies = shapes.map { shape in
            shape.map { shape in
                var figures = RunSummary.PipelineFigures(root: shape.root, shape: shape.shape)
                figures.stages = shape.stages.map(RunSummary.StageFigures.init(stage:))
                if shape.joined { figures.joins = RunSummary.JoinFigures() }
                return Tally(figures: figures, spans: shape.stages.map { _ in DurationHistogram() }, joined: shape.joined)
            }
        }
    }

    public var isEmpty: Bool { !tallies.contains { $0 != nil } }

    private mutating func change(_ root: Int, _ body: (inout Tally) -> Void) {
        guard root >= 0, root < tallies.count, tallies[root] != nil else { return }
        body(&tallies[root]!)
    }

    public mutating func started(root: Int) { change(root) { $0.figures.started += 1 } }

    /// A stage published `tasks` tasks (1 for a task, the members of a group).
    public mutating func published(root: Int, stage: Int, tasks: Int) {
        change(root) { tally in
            tally.figures.tasksPublished += tasks
            if stage < tally.figures.stages.count { tally.figures.stages[stage].tasks += tasks }
        }
    }

    public mutating func fanOutDrawn(root: Int, members: Int) {
        change(root) { $0.fanOut.record(TimeSpan(microseconds: Int64(members))) }
    }

    public mutating func stageEnded(root: Int, stage: Int, span: TimeSpan) {
        change(root) { tally in
            guard stage < tally.spans.count else { return }
            tally.figures.stages[stage].ended += 1
            tally.spans[stage].record(span)
        }
    }

    /// The pipeline ended: its last task succeeded, or a stage failed for good.
    public mutating func finished(root: Int, latency: TimeSpan, failed: Bool) {
        change(root) { tally in
            if failed { tally.figures.failed += 1 } else { tally.figures.completed += 1 }
            tally.latency.record(latency)
        }
        if root >= 0, root < tallies.count, tallies[root] != nil { all.record(latency) }
    }

    public mutating func joinFired(root: Int) { change(root) { $0.figures.joins?.fired += 1 } }
    public mutating func joinFailed(root: Int) { change(root) { $0.figures.joins?.failed += 1 } }

    /// At the end of the run, a pipeline that neither completed nor failed; `latency` is the end of
    /// the run minus its root's publish; `openJoin`: it waits in a chord join.
    public mutating func stuck(root: Int, latency: TimeSpan, openJoin: Bool, example: @autoclosure () -> String) {
        change(root) { tally in
            tally.figures.stuck += 1
            tally.latency.record(latency)
            if openJoin { tally.figures.joins?.stuck += 1 }
            if tally.figures.stuckExamples.count < Self.stuckExamplesKept { tally.figures.stuckExamples.append(example()) }
        }
        if root >= 0, root < tallies.count, tallies[root] != nil { all.record(latency) }
    }

    /// Each root type's figures, in the scenario's task order: the types that started a pipeline
    /// (a type with followers that only ever runs inside another's pipeline, say `split` after
    /// `parse`, started none of its own and is left out).
    public var figures: [RunSummary.PipelineFigures] {
        tallies.compactMap { tally in
            guard let tally, tally.figures.started > 0 else { return nil }
            var figures = tally.figures
            figures.latency = tally.latency.percentiles
            if tally.fanOut.count > 0 { figures.fanOutMembers = tally.fanOut.percentiles }
            for index in figures.stages.indices { figures.stages[index].span = tally.spans[index].percentiles }
            return figures
        }
    }

    /// Latency over every pipeline of every root type (`pipeline.latency.*`); nil without pipelines.
    public var latency: Percentiles? { isEmpty ? nil : all.percentiles }
}

extension PipelineTallies {
    /// One tally per type with a plan, its stages named as reports show them.
    public init(plans: [PipelinePlan?], names: [String]) {
        self.init(shapes: plans.map { plan in
            plan.map { ($0.root >= 0 ? names[$0.root] : "", $0.shape(names: names), $0.stageNames(names: names), $0.hasJoin) }
        })
    }
}
