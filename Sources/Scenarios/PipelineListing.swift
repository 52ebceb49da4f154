import Foundation
import WorkerCore

/// What `lovage validate` prints about a scenario's pipelines, so a reader sees before any run what
/// one publish of a root sets going: its shape, how many members each group draws, and which
/// errbacks each step publishes when it fails for good.
public enum PipelineListing {
    public static func lines(_ scenario: Scenario) -> [String] {
        let names = scenario.tasks.map(\.name)
        var lines: [String] = []
        let roots = startingTypes(scenario)
        for case let plan? in scenario.pipelinePlans where roots.contains(plan.root) {
            lines.append("  pipeline \(names[plan.root]): \(plan.shape(names: names))")
            for stage in plan.stages {
                guard case let .group(member, count, joined) = stage else { continue }
                lines.append("    \(joined ? "chord" : "group") of \(names[member]): members \(describe(count: count))")
            }
            for index in stageTasks(plan) {
                let errbacks = scenario.tasks[index].followers.onFailure
                guard !errbacks.isEmpty else { continue }
                lines.append("    on failure of \(names[index]): " + errbacks.joined(separator: ", "))
            }
        }
        return lines
    }

    /// The types whose publishes start pipelines: those the load publishes, and those no other
    /// task publishes (a `split` that only ever follows `parse` runs inside parse's pipeline, and is
    /// listed there, not as a pipeline of its own).
    static func startingTypes(_ scenario: Scenario) -> Set<Int> {
        var followed = Set<String>()
        for task in scenario.tasks {
            let f = task.followers
            followed.formUnion(f.then + f.onFailure + [f.fanOut?.task, f.join].compactMap { $0 })
        }
        let loaded = Set(scenario.load.publishedTaskNames)
        return Set(scenario.tasks.indices.filter { loaded.contains(scenario.tasks[$0].name) || !followed.contains(scenario.tasks[$0].name) })
    }

    /// Every task type of the plan, in stage order, each once (a group's member stands for its members).
    static func stageTasks(_ plan: PipelinePlan) -> [Int] {
        var seen: [Int] = []
        for stage in plan.stages {
            let index: Int
            switch stage {
            case let .task(i): index = i
            case let .group(member, _, _): index = member
            }
            if !seen.contains(index) { seen.append(index) }
        }
        return seen
    }

    /// A count distribution as written: the duration distributions' seconds read as plain counts.
    public static func describe(count: DurationDistribution) -> String {
        func n(_ span: TimeSpan) -> String { String(format: "%g", span.seconds) }
        switch count {
        case let .constant(value): return "always \(n(value))"
        case let .uniform(min, max): return "uniform \(n(min))–\(n(max))"
        case let .exponential(mean): return "exponential, mean \(n(mean))"
        case let .logNormal(median, p99): return "lognormal, median \(n(median)), p99 \(n(p99))"
        case let .empirical(values): return "drawn from \(values.count) values (\(values.map(n).joined(separator: ", ")))"
        }
    }
}
