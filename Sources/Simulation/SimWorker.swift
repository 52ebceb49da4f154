import Scenarios
import WorkerCore

/// One simulated `celery worker` process: a WorkerCore plus the modelled children it drives.
///
/// A class so the simulator mutates its core in place; a struct in an array was copied (with every
/// buffer inside it retained) on each access.
final class SimWorker {
    let name: String
    let group: Int
    let config: WorkerConfig
    let childBaselineBytes: Int64
    let childStartup: TimeSpan
    /// The group's `task_overhead`: slot time per task besides the body.
    let taskOverhead: TimeSpan
    /// The group's `child_handoff`: slot time per task before the body starts.
    let childHandoff: TimeSpan
    /// The worker's core; meaningful only while `isAlive`. Not optional so the simulator mutates it
    /// in place (an optional in a class property was copied out and back on every event).
    var core: WorkerCore
    private(set) var isAlive = false
    /// Bumped on every (re)start so events for an earlier incarnation are ignored.
    var generation = 0
    /// This incarnation's consumer identity at the broker (an index into `Simulator.consumers`).
    var consumerToken = -1
    var children: [SimChild]
    /// The time of the timer event this worker's core is waiting for, if one is scheduled.
    var scheduledTimer: Instant?

    /// The live core, or nil when the process is not running (for read-only questions).
    var liveCore: WorkerCore? { isAlive ? core : nil }

    /// Feeds an event to the core in place.
    func handle(_ event: WorkerEvent, now: Instant, into out: inout [WorkerDirective]) {
        core.handle(event, now: now, into: &out)
    }

    /// Hands a remote-control command to the core in place (a scenario's `controls:`).
    func control(_ command: WorkerControl, now: Instant, into out: inout [WorkerDirective]) -> ControlResult {
        let result = core.control(command, now: now, into: &out)
        // A pool grown past its start size (pool_grow, autoscale) has slots the children did not have.
        while children.count < core.slotCount { children.append(SimChild()) }
        return result
    }

    /// Fires the core's due timers in place.
    func handleTimers(now: Instant, into out: inout [WorkerDirective]) {
        core.handleTimers(now: now, into: &out)
    }

    /// The core's next deadline, read without copying the core.
    var nextDeadline: Instant? { isAlive ? core.nextDeadline : nil }

    /// A fresh process: a new core.
    func boot(jitterSeed: UInt64) {
        core = WorkerCore(config: config, jitterSeed: jitterSeed)
        isAlive = true
    }

    /// The process is gone (killed or stopped).
    func die() {
        isAlive = false
        core = WorkerCore(config: config, jitterSeed: 0)
    }

    init(name: String, group: Int, config: WorkerConfig, childBaselineBytes: Int64, childStartup: TimeSpan,
         taskOverhead: TimeSpan = .zero, childHandoff: TimeSpan = .zero) {
        self.name = name
        self.taskOverhead = taskOverhead
        self.childHandoff = childHandoff
        self.group = group
        self.config = config
        self.childBaselineBytes = childBaselineBytes
        self.childStartup = childStartup
        self.children = Array(repeating: SimChild(), count: max(1, config.maxConcurrency))
        self.core = WorkerCore(config: config, jitterSeed: 0)
    }

    /// Modelled resident memory of the worker's children.
    func memoryBytes(pressurePerChild: Int64) -> Int64 {
        var total: Int64 = 0
        for child in children where child.isAlive {
            total += childBaselineBytes + child.retainedBytes + pressurePerChild
        }
        return total
    }
}

/// A modelled child process.
struct SimChild {
    var isAlive = false
    /// The execution it is running, if any; events for other executions are stale.
    var execution: UInt64?
    var request: TaskRequest?
    /// The scenario task type running (an index into the scenario's tasks), if modelled.
    var taskIndex: Int?
    /// How the current attempt will end when its body finishes.
    var plannedOutcome: TaskOutcome?
    var startedAt = Instant(microsecondsSinceEpoch: 0)
    /// Memory kept from earlier calls (a leak), reset when the child is replaced.
    var retainedBytes: Int64 = 0

    /// The child takes a task: alive, running this execution of the request since `startedAt`.
    mutating func begin(execution: UInt64, request: TaskRequest, startedAt: Instant, taskIndex: Int?) {
        self.execution = execution
        self.request = request
        self.startedAt = startedAt
        isAlive = true
        self.taskIndex = taskIndex
    }
}
