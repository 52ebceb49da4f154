/// What the core asks its driver to do. Drivers carry directives out in order and report back
/// through `WorkerEvent`s; they make no worker decisions of their own.
public enum WorkerDirective: Sendable, Equatable {
    /// Start one blocking fetch (BRPOP) over these list keys, in this order. At most one is
    /// outstanding; answer with `.delivered` or `.fetchReturnedEmpty`.
    case fetch(keys: [String])
    /// Acknowledge: remove this delivery (its `deliveryTag`) from Kombu's `unacked` hash and index.
    /// The whole request travels (one reference) so a driver can find its own records for it by
    /// `deliveryNumber` rather than by hashing the tag.
    case ack(TaskRequest)
    /// Reject this delivery; with `requeue` the message goes back to its list by LPUSH (the back of the line).
    case reject(TaskRequest, requeue: Bool)
    /// Give unacknowledged messages back (Kombu's `restore_by_tag`: RPUSH with `redelivered`), in
    /// this order. Drivers need only each request's delivery tag; the whole request is carried so a
    /// driver can account for the copy it gives back.
    case restore([TaskRequest])
    /// Run the task body in a child slot. Limits are the ones in force for this attempt.
    case execute(slot: Int, execution: UInt64, request: TaskRequest, softTimeLimit: TimeSpan?, timeLimit: TimeSpan?)
    /// Raise SoftTimeLimitExceeded inside the running task.
    case raiseSoftTimeLimit(slot: Int, execution: UInt64)
    /// Kill the child in this slot now (SIGKILL); a `.spawnChild` for the slot follows when it is replaced.
    case killChild(slot: Int, reason: ChildStopReason)
    /// Send this signal (a name such as "SIGTERM", or a number) to the child in this slot: a
    /// `revoke(terminate=True, signal=...)` or `terminate` control. The core counts the child as gone
    /// (as after `.killChild`); a `.spawnChild` for the slot follows.
    case terminateChild(slot: Int, signal: String)
    /// Start a child process in this slot; answer with `.childReady`.
    case spawnChild(slot: Int)
    /// Stop the (idle) child in this slot after its task and start a fresh one; answer with `.childReady`.
    case replaceChild(slot: Int, reason: ChildStopReason)
    /// Stop the idle child in this slot for good (the autoscaler shrinks the pool).
    case retireChild(slot: Int)
    /// Write a result document (`celery-task-meta-<id>`) for this request's task (`id`).
    case storeResult(TaskRequest, record: ResultRecord)
    /// Publish the next attempt of a retried task (`next`, from `TaskRequest.retried`) to its queue
    /// with a fresh delivery tag. `retryOf` is the request being retried, still held by the
    /// driver: a live driver builds the next message from that delivery's message.
    case publish(TaskRequest, retryOf: TaskRequest)
    /// Carry out what a task's canvas says follows its outcome (`WorkerCore+Canvas.swift`): apply
    /// its callbacks, the chain's next task or its errbacks, or count its return toward a chord.
    /// A live driver applies the signatures in the message; the simulator, its pipeline's stages.
    case canvas(CanvasStep)
    /// Run Kombu's restore sweep (`restore_visible`) now.
    case restoreSweep
    /// Stop consuming (a shutdown): end the fetch in flight at once and start no other; whatever the
    /// driver fetched and has not handed to the core goes back to its queue, as Kombu restores what
    /// its channel holds. Messages arriving from now on stay in their lists for other workers.
    case stopConsuming
    /// A Celery task event (`task-received`, `task-started`, ...), for monitors and metrics.
    case taskEvent(TaskEvent)
    /// Shutdown finished; the worker process may exit.
    case stopped
}

/// Why a child process is stopped or replaced.
public enum ChildStopReason: String, Sendable, Equatable {
    case hardTimeLimit = "hard time limit"
    case terminated = "revoked with terminate"
    case maxTasksPerChild = "max_tasks_per_child"
    case maxMemoryPerChild = "max_memory_per_child"
    case coldShutdown = "cold shutdown"
    case lost = "child lost"
    case poolRestart = "pool_restart"
}

/// A result-backend write. Drivers turn it into a `celery-task-meta-<id>` document.
public struct ResultRecord: Sendable, Equatable {
    /// "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED" or a custom state such as "PROGRESS".
    public var state: String
    public var error: ErrorDescription?
    /// JSON text of the result or custom meta, when the body supplied one.
    public var payloadJSON: String?
    /// The worker's hostname (STARTED documents carry it).
    public var hostname: String

    public init(state: String, error: ErrorDescription? = nil, payloadJSON: String? = nil, hostname: String) {
        self.state = state
        self.error = error
        self.payloadJSON = payloadJSON
        self.hostname = hostname
    }
}

/// Celery's task events (celery/events; `-E`), emitted at the moment Celery sends them.
public struct TaskEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case received = "task-received"
        case started = "task-started"
        case succeeded = "task-succeeded"
        case failed = "task-failed"
        case retried = "task-retried"
        case rejected = "task-rejected"
        case revoked = "task-revoked"
    }

    public var kind: Kind
    /// The request the event is about. Held whole (one reference) rather than as copied strings:
    /// the core emits several events per task, and a driver can use the request's own numbers.
    public var request: TaskRequest
    /// The slot for started/finished events.
    public var slot: Int?
    /// Error, revoke reason (`expired`, `revoked`, `terminated`) or requeue flag, as text.
    public var detail: String?
    /// Whether the message was requeued or restored rather than finished (rejected events).
    public var requeued: Bool

    public var taskID: String { request.id }
    public var taskName: String { request.name }
    public var deliveryTag: String { request.deliveryTag }
    public var retries: Int { request.retries }

    public init(kind: Kind, request: TaskRequest, slot: Int? = nil, detail: String? = nil, requeued: Bool = false) {
        self.kind = kind
        self.request = request
        self.slot = slot
        self.detail = detail
        self.requeued = requeued
    }
}
