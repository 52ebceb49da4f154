/// The states Celery writes to the result backend (`celery.states`).
///
/// PENDING is never stored (it is what a missing key means) and RECEIVED is an event-only state;
/// both are here because Flower and `AsyncResult` report them. Custom states such as PROGRESS are
/// plain strings in a result document and are not members of this enum.
public enum TaskState: String, Sendable, CaseIterable {
    case pending = "PENDING"
    case received = "RECEIVED"
    case started = "STARTED"
    case retry = "RETRY"
    case success = "SUCCESS"
    case failure = "FAILURE"
    case revoked = "REVOKED"

    /// Terminal states (`celery.states.READY_STATES`): a result in one of these is final.
    public var isReady: Bool {
        switch self {
        case .success, .failure, .revoked: return true
        case .pending, .received, .started, .retry: return false
        }
    }
}
