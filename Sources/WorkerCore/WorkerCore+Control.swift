/// Remote control (celery/worker/control.py): the core decides every control and answers with
/// Celery's reply text; the driver only decodes the request and sends the reply.
extension WorkerCore {
    /// Applies one remote-control command at `now`, appending directives to `out`, and returns
    /// Celery's answer. Then dispatches, fetches and refreshes `nextDeadline`, as `handle` does.
    public mutating func control(_ command: WorkerControl, now: Instant, into out: inout [WorkerDirective]) -> ControlResult {
        let result: ControlResult
        switch command {
        case .revoke(let ids, let terminate, _):
            for id in ids { revoke(taskID: id, terminate: terminate, now: now, into: &out) }
            result = .ok("tasks flagged as revoked")
        default:
            result = .error("not implemented yet")
        }
        dispatch(now: now, into: &out)
        maybeFetch(into: &out)
        maybeFinishShutdown(into: &out)
        nextDeadline = computeNextDeadline()
        return result
    }
}
