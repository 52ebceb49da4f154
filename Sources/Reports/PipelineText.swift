import Foundation

/// The "pipelines" block of the terminal summary (`lovage simulate`, `lovage run`): one entry per
/// root type, so a chain or chord that multiplies the load or never joins is read next to the
/// task figures. Empty for a run without pipelines, so plain runs print what they always did.
public enum PipelineText {
    public static func lines(_ s: RunSummary) -> [String] {
        guard let pipelines = s.pipelines, !pipelines.isEmpty else { return [] }
        var lines = ["pipelines"]
        if let total = s.pipelineLatency {
            lines.append("  all roots  latency p50 \(time(total.p50))  p99 \(time(total.p99))  max \(time(total.max))")
        }
        for p in pipelines { lines += block(p) }
        return lines
    }

    static func block(_ p: RunSummary.PipelineFigures) -> [String] {
        var lines = ["  \(p.root): \(p.shape)"]
        lines.append("    started \(p.started)  completed \(p.completed)  failed \(p.failed)  stuck \(p.stuck)")
        lines.append("    latency p50 \(time(p.latency.p50))  p99 \(time(p.latency.p99))  max \(time(p.latency.max))"
                     + String(format: "   load ×%.2f", p.loadMultiplier) + " (\(p.tasksPublished) tasks published)")
        if let members = p.fanOutMembers {
            lines.append("    fan-out members p50 \(members.p50)  p99 \(members.p99)  max \(members.max)")
        }
        if let j = p.joins {
            lines.append("    joins fired \(j.fired)  failed \(j.failed)  stuck \(j.stuck)")
        }
        let width = max(10, (p.stages.map(\.stage.count).max() ?? 0) + 2)
        lines.append("    " + "stage".padding(toLength: width, withPad: " ", startingAt: 0)
                     + ["tasks", "ended", "span p50", "span p99"].map { pad($0, 11) }.joined())
        for stage in p.stages {
            lines.append("    " + stage.stage.padding(toLength: width, withPad: " ", startingAt: 0)
                         + [String(stage.tasks), String(stage.ended), time(stage.span.p50), time(stage.span.p99)].map { pad($0, 11) }.joined())
        }
        if !p.stuckExamples.isEmpty {
            lines.append("    stuck, e.g.:")
            lines += p.stuckExamples.map { "      " + $0 }
        }
        return lines
    }

    /// The warning a stuck pipeline or join earns in every report: what it means and where to look.
    public static func stuckWarning(_ s: RunSummary) -> String? {
        let pipelines = s.pipelines ?? []
        let joins = pipelines.reduce(0) { $0 + ($1.joins?.stuck ?? 0) }
        let stuck = pipelines.reduce(0) { $0 + $1.stuck }
        guard stuck > 0 || joins > 0 else { return nil }
        var parts: [String] = []
        if joins > 0 { parts.append("\(joins) joins never fired: a member never returned — see stuck examples") }
        if stuck > joins { parts.append("\(stuck) pipelines stuck (neither completed nor failed by the end of the run)") }
        return parts.joined(separator: "; ")
    }

    static func time<T: BinaryInteger>(_ microseconds: T) -> String { humanDuration(microseconds: Double(microseconds)) }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
