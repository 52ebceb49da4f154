/// Receiving and starting tasks: celery/worker/strategy.py (`task_message_handler`) and
/// celery/worker/request.py (`Request.revoked`, `execute_using_pool`, `on_accepted`).
extension WorkerCore {
    mutating func receive(_ request: TaskRequest, now: Instant, into out: inout [WorkerDirective]) {
        fetchOutstanding = false
        unacked.add()
        deliverySequence += 1
        consumeOrder.served(queue: request.queue)
        let reservation = Reservation(request: request, sequence: deliverySequence)
        // Celery checks revocation and expiry before it announces `task-received`.
        if revokeIfNeeded(request, now: now, into: &out) { return }
        event(.received, request, into: &out)
        if let eta = request.eta, eta > now {
            held.insert(HeldReservation(eta: eta, reservation: reservation))
        } else if reserve(reservation, now: now), config.autoscale != nil {
            // The autoscaler's `maybe_scale` is one of the consumer's `on_task_message` callbacks,
            // which the default strategy calls right after `task_reserved(req)` — so only for
            // messages reserved at once, not for ETA holds or rate-limited ones
            // (celery/worker/strategy.py, celery/worker/autoscale.py).
            autoscaleStep(now: now, into: &out)
        }
    }

    /// A due request goes to its rate-limit bucket if its task type has one, else to the ready
    /// queue. Returns whether it was reserved at once (not held by a bucket).
    @discardableResult
    mutating func reserve(_ reservation: Reservation, now: Instant) -> Bool {
        loadOptions(for: reservation.request)
        guard let limit = cachedOptions.rateLimit else {
            ready.append(reservation)
            return true
        }
        let name = reservation.request.name
        let index: Int
        if let existing = rateBucketIndex[name] {
            index = existing
        } else {
            index = rateBuckets.count
            rateBuckets.append(RateBucket(taskName: name, limit: limit))
            rateBucketIndex[name] = index
        }
        rateBuckets[index].waiting.append(reservation)
        releaseRateLimited(now: now)
        return false
    }

    /// Revoked (by id) or expired requests are stored as REVOKED, acknowledged and never run
    /// (`Request._announce_revoked`). Checked on receipt and again before start.
    mutating func revokeIfNeeded(_ request: TaskRequest, now: Instant, into out: inout [WorkerDirective]) -> Bool {
        let reason: String
        if revoked.contains(request.id) {
            reason = "revoked"
        } else if let expires = request.expires, expires <= now {
            reason = "expired"
        } else {
            return false
        }
        store(request, state: .revoked, error: .revoked(reason), into: &out)
        canvasAfterRevoke(request, error: .revoked(reason), into: &out)
        acknowledge(request, into: &out)
        event(.revoked, request, detail: reason, into: &out)
        return true
    }

    /// Starts ready requests on idle children, oldest first (Celery's fair scheduling: a task goes
    /// only to a child that is free).
    mutating func dispatch(now: Instant, into out: inout [WorkerDirective]) {
        // A warm shutdown lets running tasks finish but starts no new ones.
        guard lifecycle == .running else { return }
        while !ready.isEmpty, let slot = firstIdleSlot() {
            let reservation = ready.removeFirst()
            let request = reservation.request
            if revokeIfNeeded(request, now: now, into: &out) { continue }
            loadOptions(for: request)
            let acksLate = cachedOptions.acksLate, trackStarted = cachedOptions.trackStarted
            // The message's own `timelimit` header wins over the worker's settings.
            let hard = request.timeLimit ?? cachedOptions.timeLimit
            let soft = request.softTimeLimit ?? cachedOptions.softTimeLimit
            executionSequence += 1
            slots[slot].state = .busy(Running(
                request: request, execution: executionSequence, startedAt: now,
                softDeadline: soft.map { now + $0 }, hardDeadline: hard.map { now + $0 },
                unacked: acksLate, deliverySequence: reservation.sequence))
            out.append(.execute(slot: slot, execution: executionSequence, request: request,
                                softTimeLimit: soft, timeLimit: hard))
            event(.started, request, slot: slot, into: &out)
            countAccepted(request.name)
            if trackStarted { store(request, state: .started, into: &out) }
            // Early acknowledgement happens when a child accepts the task, freeing a prefetch slot.
            if !acksLate { acknowledge(request, into: &out) }
        }
    }

    /// The first slot whose child is idle. Reads each slot's state in place: `firstIndex(where:)`
    /// copied every slot (retaining its running request) to test one field.
    func firstIdleSlot() -> Int? {
        for index in slots.indices where slots[index].isIdle { return index }
        return nil
    }

    /// `revoke(task_id, terminate=...)`: remember the id; with terminate, kill a running task.
    /// With a `signal` (the remote control) the driver sends that signal (`.terminateChild`);
    /// without one (the `.revoke` event) the child is killed as before (`.killChild`).
    /// Returns whether a running task was terminated.
    @discardableResult
    mutating func revoke(taskID: String, terminate: Bool, signal: String? = nil, now: Instant,
                         into out: inout [WorkerDirective]) -> Bool {
        revoked.insert(taskID)
        guard terminate,
              let slot = slots.firstIndex(where: { $0.running?.request.id == taskID }),
              let running = slots[slot].running else { return false }
        let request = running.request
        slots[slot].state = .spawning
        if let signal {
            out.append(.terminateChild(slot: slot, signal: signal))
        } else {
            out.append(.killChild(slot: slot, reason: .terminated))
        }
        store(request, state: .revoked, error: .revoked("terminated"), into: &out)
        canvasAfterRevoke(request, error: .revoked("terminated"), into: &out)
        if running.unacked { acknowledge(request, into: &out) }
        event(.revoked, request, slot: slot, detail: "terminated", into: &out)
        out.append(.spawnChild(slot: slot))
        return true
    }
}
