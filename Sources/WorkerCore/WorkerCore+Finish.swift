/// How a task ends: celery/worker/request.py (`on_success`, `on_retry`, `on_failure`, `on_timeout`),
/// celery/app/task.py (`Task.retry`) and celery/app/autoretry.py.
extension WorkerCore {
    mutating func finish(slot: Int, execution: UInt64, outcome: TaskOutcome, childResidentKiB: Int?,
                         now: Instant, into out: inout [WorkerDirective]) {
        // A result for an execution that was already killed (time limit, terminate) is stale.
        guard let running = runningRequest(slot: slot, execution: execution) else { return }
        let request = running.request
        slots[slot].state = .idle
        slots[slot].tasksRun += 1

        switch outcome {
        case .succeeded(let resultJSON):
            canvasBeforeSuccessStore(request, resultJSON: resultJSON, into: &out)
            store(request, state: .success, payloadJSON: resultJSON, into: &out)
            canvasAfterSuccessStore(request, resultJSON: resultJSON, into: &out)
            if running.unacked { acknowledge(request, into: &out) }
            event(.succeeded, request, slot: slot, into: &out)
        case .failed(let error):
            if effectiveOptions(request).retry.autoretries(errorType: error.type) {
                retryOrFail(running, cause: .automatic, error: error, now: now, into: &out)
            } else {
                fail(running, error: error, into: &out)
            }
        case .retryRequested(let countdown, let error):
            retryOrFail(running, cause: .requested(countdown: countdown), error: error, now: now, into: &out)
        case .rejected(let requeue):
            if !requeue { store(request, state: .failure, error: ErrorDescription(
                type: "Reject", message: "rejected", module: "celery.exceptions"), into: &out) }
            if running.unacked { reject(request, requeue: requeue, into: &out) }
        case .ignored:
            if running.unacked { acknowledge(request, into: &out) }
        }
        if stopAfterTaskIfAsked(slot: slot, into: &out) { return }
        recycleIfNeeded(slot: slot, childResidentKiB: childResidentKiB, into: &out)
    }

    /// `Task.retry`: publish the next attempt (`TaskRequest.retried`: same id, retries + 1,
    /// eta = now + the policy's countdown for this cause), store RETRY, then acknowledge the current
    /// message; past max_retries the error ends it in FAILURE.
    mutating func retryOrFail(_ running: Running, cause: RetryPolicy.Cause, error: ErrorDescription,
                              now: Instant, into out: inout [WorkerDirective]) {
        let request = running.request
        let policy = effectiveOptions(request).retry
        guard policy.allowsRetry(afterRetries: request.retries) else {
            fail(running, error: error, into: &out)
            return
        }
        let delay = policy.countdown(for: cause, retries: request.retries, random: &jitter)
        out.append(.publish(request.retried(eta: now + delay), retryOf: request))
        store(request, state: .retry, error: error, into: &out)
        if running.unacked { acknowledge(request, into: &out) }
        event(.retried, request, slot: nil, detail: error.type, into: &out)
    }

    /// `Request.on_failure` for an ordinary exception: store FAILURE; under acks_late acknowledge
    /// when `acks_on_failure_or_timeout`, else reject without requeue.
    mutating func fail(_ running: Running, error: ErrorDescription, into out: inout [WorkerDirective]) {
        let request = running.request
        store(request, state: .failure, error: error, into: &out)
        canvasAfterFailure(request, error: error, into: &out)
        if running.unacked {
            if effectiveOptions(request).acksOnFailureOrTimeout {
                acknowledge(request, into: &out)
            } else {
                reject(request, requeue: false, into: &out)
            }
        }
        event(.failed, request, detail: error.type, into: &out)
    }

    /// The child died under a task (WorkerLostError). Under acks_late, `reject_on_worker_lost`
    /// requeues the message (and nothing is stored); otherwise it is acknowledged or dropped per
    /// `acks_on_failure_or_timeout` and FAILURE is stored. Early-acked tasks are already gone.
    mutating func childLost(slot: Int, reason: String, now: Instant, into out: inout [WorkerDirective]) {
        guard slots.indices.contains(slot), !slots[slot].isAbsent else { return }
        let running = slots[slot].running
        slots[slot].state = .spawning
        if let running {
            let request = running.request
            let error = ErrorDescription.workerLost(reason)
            let options = effectiveOptions(request)
            if running.unacked && options.rejectOnWorkerLost {
                reject(request, requeue: true, into: &out)
            } else {
                store(request, state: .failure, error: error, into: &out)
                canvasAfterFailure(request, error: error, into: &out)
                if running.unacked {
                    if options.acksOnFailureOrTimeout {
                        acknowledge(request, into: &out)
                    } else {
                        reject(request, requeue: false, into: &out)
                    }
                }
                event(.failed, request, slot: slot, detail: error.type, into: &out)
            }
        }
        if lifecycle == .running || lifecycle == .warmShutdown {
            out.append(.spawnChild(slot: slot))
        } else {
            slots[slot].state = .absent
        }
    }

    /// `worker_max_tasks_per_child` and `worker_max_memory_per_child`: the task has finished; the
    /// child is replaced before it takes another.
    mutating func recycleIfNeeded(slot: Int, childResidentKiB: Int?, into out: inout [WorkerDirective]) {
        let reason: ChildStopReason
        if let limit = config.maxTasksPerChild, slots[slot].tasksRun >= limit {
            reason = .maxTasksPerChild
        } else if let limit = config.maxMemoryPerChildKiB, let resident = childResidentKiB, resident > limit {
            reason = .maxMemoryPerChild
        } else {
            return
        }
        slots[slot].state = .spawning
        childrenRecycled += 1
        out.append(.replaceChild(slot: slot, reason: reason))
    }
}
