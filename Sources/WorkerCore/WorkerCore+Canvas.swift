/// What follows a task's outcome, as Celery's tracer and result backend decide it: the one place
/// these rules are written, for both drivers.
///
/// - Success (celery/app/trace.py `build_tracer`): the `link` callbacks are applied, then the next
///   task of the chain, both *before* the result is stored (so `result.children` lists them); then
///   `mark_as_done` stores SUCCESS and, for a chord member, counts it toward the join — also when
///   the task ignores its result (celery/backends/base.py `mark_as_done`).
/// - Failure, whether the body raised, the hard time limit killed it or its child was lost
///   (`mark_as_failure(call_errbacks=True)`): FAILURE is stored, the chord part returns, then the
///   `link_error` errbacks run. The rest of a chain is never applied, but the failure is stored under
///   each of its task ids (`mark_as_failure` walks `request.chain`), between the two.
/// - Revoked, expired or terminated (`mark_as_revoked`): REVOKED is stored and the chord part
///   returns; no errback runs and the chain stops.
/// - A retry applies nothing: the next attempt carries the same links. Neither does `Reject` or
///   `Ignore` (trace.py's `handle_reject`/`handle_ignore` do not touch the backend).
extension WorkerCore {
    /// Success, before the result is stored: callbacks, then the chain's next task.
    func canvasBeforeSuccessStore(_ request: TaskRequest, resultJSON: String?, into out: inout [WorkerDirective]) {
        let links = request.canvas
        guard !links.isEmpty else { return }
        if links.callbacks > 0 {
            out.append(.canvas(CanvasStep(kind: .callbacks, request: request, state: .success, resultJSON: resultJSON)))
        }
        if links.chainSteps > 0 {
            out.append(.canvas(CanvasStep(kind: .chainNext, request: request, state: .success, resultJSON: resultJSON)))
        }
    }

    /// Success, after the result is stored: the chord part returns.
    func canvasAfterSuccessStore(_ request: TaskRequest, resultJSON: String?, into out: inout [WorkerDirective]) {
        guard request.canvas.chordMember else { return }
        out.append(.canvas(CanvasStep(kind: .chordPartReturn, request: request, state: .success, resultJSON: resultJSON)))
    }

    /// A final failure, after FAILURE is stored: the chord part returns, then the errbacks run.
    func canvasAfterFailure(_ request: TaskRequest, error: ErrorDescription, into out: inout [WorkerDirective]) {
        let links = request.canvas
        guard !links.isEmpty else { return }
        if links.chordMember {
            out.append(.canvas(CanvasStep(kind: .chordPartReturn, request: request, state: .failure, error: error)))
        }
        if links.chainSteps > 0 {
            out.append(.canvas(CanvasStep(kind: .chainFailed, request: request, state: .failure, error: error)))
        }
        if links.errbacks > 0 {
            out.append(.canvas(CanvasStep(kind: .errbacks, request: request, state: .failure, error: error)))
        }
    }

    /// Revoked, expired or terminated, after REVOKED is stored: the chord part returns.
    func canvasAfterRevoke(_ request: TaskRequest, error: ErrorDescription, into out: inout [WorkerDirective]) {
        guard request.canvas.chordMember else { return }
        out.append(.canvas(CanvasStep(kind: .chordPartReturn, request: request, state: .revoked, error: error)))
    }
}
