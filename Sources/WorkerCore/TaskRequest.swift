/// What the core knows about one delivered task message.
///
/// Drivers build it from a decoded Celery message (the live worker) or from the simulator's own
/// compact messages; the core never sees the body. The fields live in one copy-on-write buffer:
/// a request is copied many times on its way through broker lists, prefetch queues, child slots and
/// directives, and copying a reference costs one retain where copying the fields cost a hundred
/// bytes and a retain per string.
public struct TaskRequest: Sendable, Equatable {
    private var storage: Storage

    /// `headers.id`: the task id, shared by every retry of the task.
    public var id: String {
        get { storage.fields.id }
        set { unique().fields.id = newValue }
    }
    /// `headers.task`: the registered task name.
    public var name: String {
        get { storage.fields.name }
        set { unique().fields.name = newValue }
    }
    /// The queue the message was consumed from (the routing key).
    public var queue: String {
        get { storage.fields.queue }
        set { unique().fields.queue = newValue }
    }
    /// `properties.delivery_tag`: names this delivery in Kombu's `unacked` hash.
    public var deliveryTag: String {
        get { storage.fields.deliveryTag }
        set { unique().fields.deliveryTag = newValue }
    }
    /// `headers.retries`: how many times the task has been retried before this attempt.
    public var retries: Int {
        get { storage.fields.retries }
        set { unique().fields.retries = newValue }
    }
    /// `headers.eta` (countdown is turned into eta by the client).
    public var eta: Instant? {
        get { storage.fields.eta }
        set { unique().fields.eta = newValue }
    }
    /// `headers.expires`.
    public var expires: Instant? {
        get { storage.fields.expires }
        set { unique().fields.expires = newValue }
    }
    /// `headers.timelimit[0]` (hard); it wins over the worker's settings.
    public var timeLimit: TimeSpan? {
        get { storage.fields.timeLimit }
        set { unique().fields.timeLimit = newValue }
    }
    /// `headers.timelimit[1]` (soft).
    public var softTimeLimit: TimeSpan? {
        get { storage.fields.softTimeLimit }
        set { unique().fields.softTimeLimit = newValue }
    }
    /// `properties.priority` (nil when absent).
    public var priority: Int? {
        get { storage.fields.priority }
        set { unique().fields.priority = newValue }
    }
    /// `delivery_info.redelivered`: set by Kombu's restore.
    public var redelivered: Bool {
        get { storage.fields.redelivered }
        set { unique().fields.redelivered = newValue }
    }
    /// `headers.ignore_result`.
    public var ignoreResult: Bool {
        get { storage.fields.ignoreResult }
        set { unique().fields.ignoreResult = newValue }
    }
    /// The driver's own number for the task (the simulator: the n of its id "t<n>"), shared by
    /// every retry; 0 when the driver keeps none. The core copies it and never reads it: it lets a
    /// driver find its records for a request by array index instead of hashing the id string.
    public var taskNumber: Int {
        get { storage.fields.taskNumber }
        set { unique().fields.taskNumber = newValue }
    }
    /// The driver's own number for this delivery (the simulator: the n of its tag "d<n>"); 0 when
    /// the driver keeps none. Like `taskNumber`, carried and never read by the core.
    public var deliveryNumber: Int {
        get { storage.fields.deliveryNumber }
        set { unique().fields.deliveryNumber = newValue }
    }
    /// What the message's canvas says follows the task (`CanvasLinks.none` for a plain task).
    public var canvas: CanvasLinks {
        get { storage.fields.canvas }
        set { unique().fields.canvas = newValue }
    }

    public init(id: String, name: String, queue: String, deliveryTag: String, retries: Int = 0,
                eta: Instant? = nil, expires: Instant? = nil, timeLimit: TimeSpan? = nil,
                softTimeLimit: TimeSpan? = nil, priority: Int? = nil, redelivered: Bool = false,
                ignoreResult: Bool = false, taskNumber: Int = 0, deliveryNumber: Int = 0,
                canvas: CanvasLinks = .none) {
        storage = Storage(Fields(id: id, name: name, queue: queue, deliveryTag: deliveryTag, retries: retries, eta: eta,
                                 expires: expires, timeLimit: timeLimit, softTimeLimit: softTimeLimit, priority: priority,
                                 redelivered: redelivered, ignoreResult: ignoreResult, taskNumber: taskNumber,
                                 deliveryNumber: deliveryNumber, canvas: canvas))
    }

    /// The request Celery's `Task.retry` publishes: same id, retries + 1, a new eta, a fresh
    /// delivery tag (the driver assigns it on publish, as Kombu's producer does). The one place
    /// the next attempt is worked out; a live driver writes it into the message with
    /// `TaskMessage.nextAttempt` (CeleryWire), which takes these retries and this eta.
    public func retried(eta newETA: Instant) -> TaskRequest {
        var next = self
        next.retries += 1
        next.eta = newETA
        next.deliveryTag = ""
        next.deliveryNumber = 0
        next.redelivered = false
        return next
    }

    /// The request as Kombu's transport gives it back to its queue (a restore, or a reject with
    /// requeue): flagged redelivered, everything else the same. A real message gets the same mark
    /// from `Redelivery.mark` (CeleryWire), in `headers` and `delivery_info`; this is its one flag
    /// in the core's view, for a broker that keeps requests rather than messages (the simulator's).
    public func markedRedelivered() -> TaskRequest {
        var marked = self
        marked.redelivered = true
        return marked
    }

    public static func == (lhs: TaskRequest, rhs: TaskRequest) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// The fields in one buffer. Mutated only through `unique()`, so a shared buffer is never
    /// written: that is what makes the unchecked Sendable conformance sound.
    private final class Storage: @unchecked Sendable {
        var fields: Fields
        init(_ fields: Fields) { self.fields = fields }
        func copy() -> Storage { Storage(fields) }
    }

    private struct Fields: Equatable {
        var id: String, name: String, queue: String, deliveryTag: String, retries: Int
        var eta: Instant?, expires: Instant?, timeLimit: TimeSpan?, softTimeLimit: TimeSpan?, priority: Int?
        var redelivered: Bool, ignoreResult: Bool, taskNumber: Int, deliveryNumber: Int
        var canvas: CanvasLinks
    }
}
