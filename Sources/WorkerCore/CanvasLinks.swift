import CeleryWire

/// What a task's message says follows it — Celery protocol v2's `embed` (`callbacks`, `errbacks`,
/// `chain`, `chord`) — counted, not held: the core decides which of them run after an outcome
/// (`WorkerCore+Canvas.swift`), and the driver keeps the signatures themselves (a live worker in
/// the message, the simulator in its pipeline table) and carries the `.canvas` directives out.
public struct CanvasLinks: Sendable, Equatable {
    /// `embed.callbacks` (`link=`): run with the result after a success.
    public var callbacks: Int
    /// `embed.errbacks` (`link_error=`): run with the task id after a failure.
    public var errbacks: Int
    /// `embed.chain`: the tasks still to run after this one; the next gets the result prepended.
    public var chainSteps: Int
    /// `embed.chord` is set: this task is a chord header member, and its final state counts toward
    /// the join (the result backend's `on_chord_part_return`), whatever the state.
    public var chordMember: Bool

    public init(callbacks: Int = 0, errbacks: Int = 0, chainSteps: Int = 0, chordMember: Bool = false) {
        self.callbacks = callbacks
        self.errbacks = errbacks
        self.chainSteps = chainSteps
        self.chordMember = chordMember
    }

    /// A plain task: nothing follows it.
    public static let none = CanvasLinks()

    public var isEmpty: Bool { callbacks == 0 && errbacks == 0 && chainSteps == 0 && !chordMember }
}

/// One thing the driver does because of a task's canvas, in the order Celery's tracer does it.
public struct CanvasStep: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Apply every `link` callback with the result as first argument (one callback alone; several
        /// as one group, groups among them on their own: celery/app/trace.py, `on_success`).
        case callbacks
        /// Apply the next task of `embed.chain` with the result prepended and the rest of the chain.
        case chainNext
        /// Store the failure under every task id still in the chain, so the chain's result (its last
        /// task) fails instead of waiting forever (celery/backends/base.py `mark_as_failure`).
        case chainFailed
        /// Apply every `link_error` errback with the failed task's id (the backend's
        /// `_call_task_errbacks`, which publishes them as one group with `(task_id,)`).
        case errbacks
        /// Count this final state toward the chord's join (the Redis backend's
        /// `on_chord_part_return`); the last member to return applies the chord body.
        case chordPartReturn
    }

    public var kind: Kind
    /// The task whose outcome this follows.
    public var request: TaskRequest
    /// The task's final state: SUCCESS, FAILURE or REVOKED.
    public var state: TaskState
    /// The return value as JSON text after a success (nil when the body gave none: `None`).
    public var resultJSON: String?
    /// The exception after a failure or revoke.
    public var error: ErrorDescription?

    public init(kind: Kind, request: TaskRequest, state: TaskState, resultJSON: String? = nil,
                error: ErrorDescription? = nil) {
        self.kind = kind
        self.request = request
        self.state = state
        self.resultJSON = resultJSON
        self.error = error
    }
}
