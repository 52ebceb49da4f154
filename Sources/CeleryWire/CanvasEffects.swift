/// What applying canvas signatures makes a worker do, as values (no I/O): the messages to publish,
/// the chord sizes to SET (`celery-taskset-meta-<gid>.s`), the group results to save, and what the
/// parent task's result document lists as `children` (`AsyncResult.as_tuple()` of each result
/// added to its trail, celery/result.py).
public struct CanvasEffects: Sendable, Equatable {
    /// A chord's header size, set before its last member is published (celery/canvas.py
    /// `group._apply_tasks`, redis backend `set_chord_size`).
    public struct ChordSize: Sendable, Equatable {
        public var groupID: String
        public var size: Int
        public init(groupID: String, size: Int) { self.groupID = groupID; self.size = size }
    }

    /// A GroupResult the Redis backend saves (`apply_chord` when a header member is itself a group):
    /// `celery-taskset-meta-<gid>` = `{"result": [as_tuple, ...]}`.
    public struct GroupSave: Sendable, Equatable {
        public var groupID: String
        /// `[r.as_tuple() for r in results]`.
        public var results: [JSONValue]
        public init(groupID: String, results: [JSONValue]) { self.groupID = groupID; self.results = results }

        /// The saved value, `encode({'result': result.as_tuple()})` (celery/backends/base.py `_save_group`).
        public var document: [UInt8] {
            JSONValue.object(["result": CanvasApplier.groupTuple(groupID, results)]).serialized()
        }
    }

    /// One message and the queue (Kombu routing key) it goes to.
    public struct Message: Sendable, Equatable {
        public var queue: String
        public var message: TaskMessage
        public init(queue: String, message: TaskMessage) { self.queue = queue; self.message = message }
    }

    public var chordSizes: [ChordSize] = []
    public var groupSaves: [GroupSave] = []
    /// In publish order.
    public var messages: [Message] = []
    /// The parent's `children`, in the order the results joined its trail.
    public var children: [JSONValue] = []

    public init() {}

    public var isEmpty: Bool { chordSizes.isEmpty && groupSaves.isEmpty && messages.isEmpty && children.isEmpty }
}

/// What a worker knows about the task whose outcome it is carrying out, for the messages that
/// follow it: send_task fills `parent_id`/`root_id` from the current worker task when the options
/// do not (celery/app/base.py), `origin` is the worker's `anon_nodename()`, `reply_to` its
/// `thread_oid`.
public struct CanvasContext: Sendable {
    /// The current task's id (`parent_id` of what it applies).
    public var taskID: String
    /// The current task's `root_id` (its own id when it has none).
    public var rootID: String
    /// `delivery_info.priority` of the current task: the tracer passes it as `priority=`.
    public var priority: Int?
    /// "gen<pid>@<host>".
    public var origin: String
    /// The worker's reply queue id (Celery's `app.thread_oid`), for signatures that carry none.
    public var replyTo: String
    /// The queue a task name is routed to when its options name none (the worker's routes); nil → "celery".
    public var route: @Sendable (String) -> String?
    /// Now, in microseconds since the epoch (for `countdown` and relative `expires`).
    public var nowMicros: Int64

    public init(taskID: String, rootID: String?, priority: Int?, origin: String, replyTo: String,
                nowMicros: Int64, route: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.taskID = taskID
        self.rootID = rootID ?? taskID
        self.priority = priority
        self.origin = origin
        self.replyTo = replyTo
        self.nowMicros = nowMicros
        self.route = route
    }

    /// The context of a decoded message being carried out.
    public init(current message: TaskMessage, origin: String, replyTo: String, nowMicros: Int64,
                route: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.init(taskID: message.id, rootID: message.rootID, priority: message.priority, origin: origin,
                  replyTo: replyTo, nowMicros: nowMicros, route: route)
    }
}
