import CeleryWire
import Foundation
import LiveWorker
import RedisClient
import Scenarios
import WorkerCore
import Workload

/// The open-model load generator of a real run: every planned task has an intended send time, and
/// the publisher sends it then whatever the workers do. When it falls behind (a slow broker, an
/// outage) it sends everything that is due in one pipeline as soon as it can, and records each
/// task's actual send time, so latency is measured from the intended time (no coordinated
/// omission) and late sends are counted, never skipped.
final class LoadPublisher: @unchecked Sendable {
    /// A send later than this after its intended time counts as behind.
    static let behindThreshold = TimeSpan.milliseconds(10)
    /// At most this many messages go out in one pipeline.
    static let batchLimit = 1_000

    let plan: [PlannedTask]
    let ids: [String]
    /// The tasks of the plan's pipelines that workers publish, ids frozen (empty without pipelines).
    let pipelines: PipelineLoad
    private let scenario: Scenario
    private let url: RedisURL
    private let router: TaskRouter
    /// When each task was actually sent, in microseconds after the load's start (0: not yet).
    private(set) var sentOffsets: [Int64]
    private let lock = NSLock()
    private var sentCount = 0
    private var stopping = false
    private(set) var sendsBehind = 0
    private(set) var maxLag = TimeSpan.zero
    private(set) var failure: String?

    init(plan: [PlannedTask], scenario: Scenario, url: RedisURL, seed: UInt64) {
        self.plan = plan
        self.scenario = scenario
        self.url = url
        router = TaskRouter(rules: scenario.routes.map { TaskRouter.Rule(pattern: $0.pattern, queue: $0.queue) })
        // Ids derived from the seed and the task's number: a run's tasks can be named in a report.
        ids = plan.indices.map { index in
            String(format: "%08x-%04x-4000-8000-%012x", UInt32(truncatingIfNeeded: seed), UInt16(truncatingIfNeeded: seed >> 32), index)
        }
        sentOffsets = Array(repeating: 0, count: plan.count)
        pipelines = PipelineLoad(plan: plan, scenario: scenario, seed: seed)
    }

    /// Every id the run reads a result for: the planned tasks', then the pipelines' followers'.
    var resultIDs: [String] { ids + pipelines.followers.map(\.id) }

    /// Tasks sent so far.
    var sent: Int { lock.withLock { sentCount } }

    func stop() { lock.withLock { stopping = true } }
    private var isStopping: Bool { lock.withLock { stopping } }

    /// Publishes the plan against the wall clock from `start`; returns when every task is sent or
    /// `stop()` was called. An outage is waited out (reconnecting with backoff); the tasks it
    /// delays are sent late and counted.
    func run(start: Date, slowWindows: [(start: TimeSpan, end: TimeSpan, factor: Double, pattern: String)]) {
        var connection: RedisConnection?
        var declared = Set<String>()
        var next = 0
        var backoff = 0.05
        while next < plan.count, !isStopping {
            let now = Self.offset(since: start)
            let due = plan[next].offset.microseconds
            if due > now {
                Thread.sleep(forTimeInterval: min(0.05, Double(due - now) / 1_000_000))
                continue
            }
            var end = next
            while end < plan.count, end - next < Self.batchLimit, plan[end].offset.microseconds <= now { end += 1 }
            var commands: [[[UInt8]]] = []
            var newQueues: [String] = []
            for index in next..<end {
                let (queue, command) = message(index, start: start, slowWindows: slowWindows)
                if !declared.contains(queue), !newQueues.contains(queue) { newQueues.append(queue) }
                commands.append(command)
            }
            let bindings = newQueues.flatMap { queue -> [[[UInt8]]] in
                let member = Array(KombuKeys.bindingMember(queue).utf8)
                return [[Array("SADD".utf8), Array(KombuKeys.binding(queue).utf8), member],
                        [Array("SADD".utf8), Array(KombuKeys.bindingPermanent(queue).utf8), member]]
            }
            do {
                if connection == nil { connection = try RedisConnection(url: url, connectTimeout: 2, commandTimeout: 10) }
                let replies = try connection!.pipeline(bindings + commands)
                if let error = replies.first(where: \.isError) {
                    lock.withLock { failure = "publish: \(error)" }
                    return
                }
            } catch {
                connection = nil
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(2, backoff * 2)
                continue
            }
            backoff = 0.05
            declared.formUnion(newQueues)
            let sentAt = Self.offset(since: start)
            lock.withLock {
                for index in next..<end {
                    sentOffsets[index] = sentAt
                    let lag = TimeSpan(microseconds: sentAt - plan[index].offset.microseconds)
                    if lag > Self.behindThreshold { sendsBehind += 1 }
                    if lag > maxLag { maxLag = lag }
                }
                sentCount = end
            }
            next = end
        }
    }

    /// The LPUSH of task `index`, and its queue. Countdown and expiry count from the intended time.
    /// The message names the scenario's task type, which the fleet's workers registered from the
    /// run's task table with the type's options; its kwargs carry the planned body. A pipeline's
    /// root carries the rest of its pipeline, frozen (`PipelineCanvas`), and stores its result
    /// whatever its `ignore_result` says (as every follower does): the run follows a pipeline by
    /// its results.
    private func message(_ index: Int, start: Date, slowWindows: [(start: TimeSpan, end: TimeSpan, factor: Double, pattern: String)]) -> (String, [[UInt8]]) {
        let planned = plan[index]
        let spec = scenario.tasks[planned.taskIndex]
        let intendedMicros = Int64(start.timeIntervalSince1970 * 1_000_000) + planned.offset.microseconds
        let kwargs = Self.bodyKwargs(spec, duration: planned.duration, start: start, slowWindows: slowWindows)
        var embed = TaskEmbed()
        if !pipelines.isEmpty {
            let canvas = PipelineCanvas(
                load: pipelines, scenario: scenario,
                kwargs: { [self] follower in
                    let task = pipelines.followers[follower]
                    return Self.bodyKwargs(scenario.tasks[task.taskIndex], duration: task.duration, start: start, slowWindows: slowWindows)
                },
                queue: { [self] type in router.queue(forTask: scenario.tasks[type].name, explicitQueue: scenario.tasks[type].queue) })
            (embed.chain, embed.errbacks) = canvas.embed(ofPlanIndex: index)
        }
        let queue = router.queue(forTask: spec.name, explicitQueue: spec.queue)
        let priority = spec.priority ?? 0
        let message = TaskMessage.make(
            task: spec.name, id: ids[index], kwargs: kwargs, queue: queue, priority: priority,
            deliveryTag: ids[index], origin: "lovage-run",
            eta: spec.countdown.map { intendedMicros + $0.microseconds },
            expires: spec.expires.map { intendedMicros + $0.microseconds },
            ignoreResult: pipelines.pipelineOfPlanIndex[index] == nil ? spec.options.ignoreResult ?? false : false,
            argsAsTuple: false, embed: embed)
        let key = PriorityQueueKeys.listKey(queue: queue, priority: priority, steps: scenario.broker.prioritySteps)
        return (queue, [Array("LPUSH".utf8), Array(key.utf8), message.encode()])
    }

    /// The synthetic body's kwargs for one run of a task of `spec`: its duration, result size,
    /// failure chance, retained memory, and the `slow_tasks` windows that apply to it. The run's
    /// beats send the same kwargs (`BeatScheduleFile`).
    static func bodyKwargs(_ spec: TaskTypeSpec, duration: TimeSpan, start: Date,
                            slowWindows: [(start: TimeSpan, end: TimeSpan, factor: Double, pattern: String)]) -> JSONObject {
        var kwargs: JSONObject = [
            "duration_ms": .double(Double(duration.microseconds) / 1_000), "report_timing": .bool(true),
            "result_bytes": .int(spec.body.resultSizeBytes),
        ]
        // A slow_tasks window slows what runs during it (as the simulator applies it when a body
        // starts), whenever the task was published: the body checks its own start time.
        let startSeconds = start.timeIntervalSince1970
        let windows = slowWindows.filter { Glob.matches(pattern: $0.pattern, spec.name) }.map { window -> JSONValue in
            .array([.double(startSeconds + window.start.seconds), .double(startSeconds + window.end.seconds), .double(window.factor)])
        }
        if !windows.isEmpty { kwargs["slow_windows"] = .array(windows) }
        if spec.body.failureProbability > 0 {
            kwargs["fail_probability"] = .double(spec.body.failureProbability)
            kwargs["error"] = .string(spec.body.failureErrorType)
        }
        if spec.body.memoryRetainedPerCallBytes > 0 { kwargs["retain_bytes"] = .int(spec.body.memoryRetainedPerCallBytes) }
        return kwargs
    }

    static func offset(since start: Date) -> Int64 { Int64(Date().timeIntervalSince(start) * 1_000_000) }
}
