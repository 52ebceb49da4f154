import Foundation
import Scenarios
import WorkerCore
import Workload

/// Every task of a real run's pipelines, fixed before the first send: a Celery client freezes the
/// whole canvas when it applies it (each later step, chord member, chord body and errback gets its
/// task id in the root's message), so the run knows every id it will have to read a result for.
///
/// Each planned task whose type starts a pipeline is a root. Its groups' member counts are drawn
/// from `FanOutCounts.stream` per root in plan order, as the simulator draws them at each root's
/// publish, so one seed gives both worlds the same fan-outs. The bodies of the tasks workers publish
/// (followers) draw their durations from a stream of their own (`followerStream`), in root order
/// and then stage order, so the planned tasks' durations (stream 2) are the same as without
/// pipelines. A plain task's `on_failure` errbacks are frozen the same way (`link_error` in its
/// message), as are a pipeline task's.
struct PipelineLoad {
    /// The seed stream follower durations are drawn from.
    static let followerStream: UInt64 = 7

    /// A task that a worker publishes because of another's outcome (the load publisher never sends it).
    struct Follower: Equatable {
        var id: String
        /// Its scenario task type.
        var taskIndex: Int
        var duration: TimeSpan
        /// The pipeline it belongs to (index into `pipelines`); nil for an errback of a plain task.
        var pipeline: Int?
        /// The plan index of the planned task whose message carries it (a pipeline's root, or the
        /// plain task an errback is of): its result can exist only once that was sent.
        var planIndex: Int
        /// Its stage in the pipeline's plan; nil for an errback.
        var stage: Int?
        /// For an errback: the task whose failure publishes it (`Owner`).
        var owner: Owner?
        /// The errbacks (`on_failure`) its own failure publishes, by follower index.
        var errbacks: [Int] = []
    }

    /// Whose failure publishes an errback.
    enum Owner: Equatable {
        case root
        case follower(Int)
    }

    struct Pipeline: Equatable {
        /// The root's index in the arrival plan.
        var planIndex: Int
        /// The root's task type (`PipelinePlan.root`).
        var root: Int
        /// The members drawn for each group stage, in stage order.
        var groupCounts: [Int]
        /// Follower indices of each stage (stage 0, the root itself, has none).
        var stageTasks: [[Int]]
        /// The group id of each group stage (nil for a task stage): a chord's header is frozen with it.
        var groupIDs: [String?]
        /// The root's own errbacks, by follower index.
        var rootErrbacks: [Int]
    }

    let plans: [PipelinePlan?]
    private(set) var followers: [Follower] = []
    private(set) var pipelines: [Pipeline] = []
    /// By plan index: the pipeline it roots, if any.
    private(set) var pipelineOfPlanIndex: [Int?]
    /// By plan index: the errbacks (follower indices) its message carries in `embed.errbacks`.
    private(set) var errbacksOfPlanIndex: [[Int]]

    /// Ids take the seed's part as the planned tasks' do, with variant 9 where theirs have 8, so no
    /// id repeats within a run and a run's ids can be named in a report.
    init(plan: [PlannedTask], scenario: Scenario, seed: UInt64) {
        plans = scenario.pipelinePlans
        pipelineOfPlanIndex = Array(repeating: nil, count: plan.count)
        errbacksOfPlanIndex = Array(repeating: [], count: plan.count)
        guard plans.contains(where: { $0 != nil }) || scenario.tasks.contains(where: { !$0.followers.onFailure.isEmpty })
        else { return }
        var counts = SeededRandom.split(seed: seed, stream: FanOutCounts.stream)
        var bodies = SeededRandom.split(seed: seed, stream: Self.followerStream)
        var nextID = 0
        func newID() -> String {
            defer { nextID += 1 }
            return String(format: "%08x-%04x-4000-9000-%012x", UInt32(truncatingIfNeeded: seed),
                          UInt16(truncatingIfNeeded: seed >> 32), nextID)
        }
        let tasks = scenario.tasks
        var indexByName: [String: Int] = [:]
        for (index, task) in tasks.enumerated() where indexByName[task.name] == nil { indexByName[task.name] = index }
        var planIndex = 0
        func addFollower(type: Int, pipeline: Int?, stage: Int?, owner: Owner?) -> Int {
            let duration = BodySampler.sampleDuration(tasks[type].body.duration, random: &bodies)
            followers.append(Follower(id: newID(), taskIndex: type, duration: duration, pipeline: pipeline,
                                      planIndex: planIndex, stage: stage, owner: owner))
            return followers.count - 1
        }
        func addErrbacks(of type: Int, owner: Owner, pipeline: Int?) -> [Int] {
            tasks[type].followers.onFailure.compactMap { name in
                indexByName[name].map { addFollower(type: $0, pipeline: pipeline, stage: nil, owner: owner) }
            }
        }
        for (index, planned) in plan.enumerated() {
            planIndex = index
            guard let pipelinePlan = plans[planned.taskIndex] else {
                errbacksOfPlanIndex[index] = addErrbacks(of: planned.taskIndex, owner: .root, pipeline: nil)
                continue
            }
            let pipeline = pipelines.count
            let groupCounts = FanOutCounts.draw(pipelinePlan, random: &counts)
            var run = Pipeline(planIndex: index, root: pipelinePlan.root, groupCounts: groupCounts,
                               stageTasks: [[]], groupIDs: [nil], rootErrbacks: [])
            pipelines.append(run)
            run.rootErrbacks = addErrbacks(of: planned.taskIndex, owner: .root, pipeline: pipeline)
            errbacksOfPlanIndex[index] = run.rootErrbacks
            var groupOrdinal = 0
            for (stage, kind) in pipelinePlan.stages.enumerated().dropFirst() {
                var members: [Int] = []
                switch kind {
                case .task(let type):
                    run.groupIDs.append(nil)
                    members.append(addFollower(type: type, pipeline: pipeline, stage: stage, owner: nil))
                case .group(let type, _, _):
                    run.groupIDs.append(newID())
                    for _ in 0..<groupCounts[groupOrdinal] {
                        members.append(addFollower(type: type, pipeline: pipeline, stage: stage, owner: nil))
                    }
                    groupOrdinal += 1
                }
                for member in members {
                    followers[member].errbacks = addErrbacks(of: followers[member].taskIndex, owner: .follower(member),
                                                             pipeline: pipeline)
                }
                run.stageTasks.append(members)
            }
            pipelines[pipeline] = run
            pipelineOfPlanIndex[index] = pipeline
        }
    }

    /// No pipeline and no errback: the run's messages carry no canvas.
    var isEmpty: Bool { followers.isEmpty }
}
