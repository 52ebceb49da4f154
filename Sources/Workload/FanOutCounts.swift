import Scenarios
import WorkerCore

/// How many members each group of a pipeline gets, drawn when its root is published, one count per
/// group stage in stage order, from a seed stream of their own (6): the simulator and a real run
/// (which must freeze every member's id in the root's message, as Celery's client does) draw the
/// same counts for the same roots in publish order, and drawing them moves no other stream.
public enum FanOutCounts {
    /// The seed stream counts are drawn from.
    public static let stream: UInt64 = 6
    /// No group is larger than this (a distribution's far tail would otherwise publish millions).
    public static let maxMembers = 100_000

    /// One count per group stage of `plan`, each at least 1: the distribution's value in seconds,
    /// rounded (a bare number in the file is a count).
    public static func draw(_ plan: PipelinePlan, random: inout SeededRandom) -> [Int] {
        var counts: [Int] = []
        for stage in plan.stages {
            guard case .group(_, let distribution, _) = stage else { continue }
            let value = BodySampler.sampleDuration(distribution, random: &random).seconds.rounded()
            counts.append(Int(min(Double(maxMembers), max(1, value))))
        }
        return counts
    }
}
