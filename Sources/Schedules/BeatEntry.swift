import CeleryWire

/// One periodic task as a schedule file (or a scenario's `schedule:`) gives it: Celery's
/// `beat_schedule` entry — its name, the task, when, the arguments and the send options.
public struct BeatEntry: Sendable, Equatable {
    public let name: String
    public let task: String
    public let schedule: Schedule
    public let args: [JSONValue]
    public let kwargs: JSONObject
    public let options: BeatSendOptions

    public init(name: String, task: String, schedule: Schedule, args: [JSONValue] = [], kwargs: JSONObject = JSONObject(),
                options: BeatSendOptions = BeatSendOptions()) {
        self.name = name; self.task = task; self.schedule = schedule
        self.args = args; self.kwargs = kwargs; self.options = options
    }
}

/// The entry's `options`, those of `apply_async` beat passes on (celery/beat.py
/// `Scheduler.apply_async`): where it goes and when it may run. Beat adds the header
/// `celery_beat_task: true` to every send, as Celery 5.5+ does.
public struct BeatSendOptions: Sendable, Equatable {
    /// The queue (routing key); nil: the app's default queue.
    public var queue: String?
    public var priority: Int?
    /// Revoke if not started this long after the send (Celery's `expires` in seconds).
    public var expiresMicros: Int64?
    /// Run no earlier than this long after the send (becomes the `eta`).
    public var countdownMicros: Int64?
    /// Extra message headers, in the order written.
    public var headers: JSONObject

    public init(queue: String? = nil, priority: Int? = nil, expiresMicros: Int64? = nil, countdownMicros: Int64? = nil,
                headers: JSONObject = JSONObject()) {
        self.queue = queue; self.priority = priority; self.expiresMicros = expiresMicros
        self.countdownMicros = countdownMicros; self.headers = headers
    }
}
