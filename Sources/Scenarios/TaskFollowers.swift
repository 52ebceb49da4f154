/// What a scenario task says follows it (issue 17): the pieces of a Celery canvas, kept as names and
/// counts so a driver can turn them into signatures — `then` a chain (`embed.chain`), `fanOut` plus
/// `join` a chord (`group` header and body, celery/canvas.py `_chord.run`), `onFailure` errbacks
/// (`link_error`, called by celery/backends/base.py `_call_task_errbacks`).
public struct TaskFollowers: Sendable, Equatable {
    /// The rest of a chain after this task, in order; each step gets the previous result.
    public var then: [String] = []
    /// A group of one task type, its size drawn per parent (a count distribution, ≥ 1).
    public var fanOut: FanOut? = nil
    /// The chord body, run once every fan-out member has returned (only with `fanOut`).
    public var join: String? = nil
    /// Errbacks published with the failed task's id.
    public var onFailure: [String] = []
    public init() {}

    public var isEmpty: Bool { then.isEmpty && fanOut == nil && join == nil && onFailure.isEmpty }

    /// Every task named here, in the order written (for cycle and name checks).
    public var named: [String] { then + (fanOut.map { [$0.task] } ?? []) + (join.map { [$0] } ?? []) + onFailure }
}

/// `fan_out: {task, count}`. The count reuses the duration distributions with bare numbers read as
/// counts (the distribution's seconds), so `{lognormal: {median: 20, p99: 200}}` works as written.
public struct FanOut: Sendable, Equatable {
    public var task: String
    public var count: DurationDistribution
    public init(task: String, count: DurationDistribution) { self.task = task; self.count = count }
}
