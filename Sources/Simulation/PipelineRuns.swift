import Reports
import Scenarios
import WorkerCore

/// The pipelines in flight in a simulated run: for each, where it stands (its current stage, the
/// members of a group still out), and for each of its tasks which pipeline and stage it belongs to.
/// The simulator's side of what a real message carries in its `embed` (the chain still to run, the
/// chord it is a member of); the core decides from `TaskRequest.canvas` when each applies.
struct PipelineRuns {
    /// Where a task of a pipeline stands in it.
    struct Membership {
        var pipeline: Int
        var stage: Int
        /// The member's index in its group (its `group_index`); -1 for a task stage.
        var member: Int
    }

    struct Run {
        var root: Int
        var rootID: String
        var publishedAt: Instant
        /// One member count per group stage, in stage order (drawn at the root's publish).
        var groupCounts: [Int]
        var stage = 0
        var stageStartedAt: Instant
        /// For a group stage: which members have ended (a task's end or its chord part counted once,
        /// as Celery 5.7's dedupe set `.d` counts a part once), how many, and whether one failed.
        var membersEnded: [Bool] = []
        var endedCount = 0
        var memberFailed = false
        /// What stopped a middle stage without ending the pipeline (a revoke, a Reject), for the report.
        var stoppedBy: String? = nil
        /// Every task number of this pipeline, forgotten when it ends.
        var tasks: [Int] = []
    }

    private(set) var runs = NumberedTable<Run>()
    private(set) var memberships = NumberedTable<Membership>()
    private var nextPipeline = 0

    var isEmpty: Bool { runs.isEmpty }

    mutating func start(root: Int, rootID: String, groupCounts: [Int], now: Instant) -> Int {
        nextPipeline += 1
        runs.set(Run(root: root, rootID: rootID, publishedAt: now, groupCounts: groupCounts, stageStartedAt: now), for: nextPipeline)
        return nextPipeline
    }

    func membership(of task: Int) -> Membership? { memberships[task] }
    func run(_ pipeline: Int) -> Run? { runs[pipeline] }

    mutating func join(_ task: Int, _ membership: Membership) {
        memberships.set(membership, for: task)
        change(membership.pipeline) { $0.tasks.append(task) }
    }

    mutating func change(_ pipeline: Int, _ body: (inout Run) -> Void) {
        guard let slot = runs.slot(of: pipeline) else { return }
        body(&runs[slot: slot])
    }

    /// The pipeline ended: forget it and where its tasks stood.
    mutating func end(_ pipeline: Int) {
        guard let run = runs[pipeline] else { return }
        for task in run.tasks { _ = memberships.removeValue(for: task) }
        _ = runs.removeValue(for: pipeline)
    }

    /// The pipelines still open, by number (the order their roots were published).
    var open: [(number: Int, run: Run)] {
        runs.allKeys.sorted().compactMap { number in runs[number].map { (number, $0) } }
    }
}
