/// Remote control (celery/worker/control.py): the core decides every control and answers with
/// Celery's reply text; the driver only decodes the request and sends the reply, and the simulator
/// applies a scenario's `controls:` through the same function.
extension WorkerCore {
    /// Applies one remote-control command at `now`, appending directives to `out`, and returns
    /// Celery's answer. Then dispatches, fetches and refreshes `nextDeadline`, as `handle` does.
    public mutating func control(_ command: WorkerControl, now: Instant, into out: inout [WorkerDirective]) -> ControlResult {
        let result: ControlResult
        switch command {
        case .revoke(let ids, let terminate, let signal):
            result = revokeControl(ids: ids, terminate: terminate, signal: signal, now: now, into: &out)
        case .rateLimit(let name, let text):
            result = setRateLimit(taskName: name, text: text)
        case .timeLimit(let name, let soft, let hard):
            result = setTimeLimits(taskName: name, soft: soft, hard: hard)
        case .poolGrow(let n):
            result = config.autoscale != nil
                ? .error("pool_grow is not supported with autoscale. Adjust autoscale range instead.")
                : growPool(by: n, into: &out)
        case .poolShrink(let n):
            result = config.autoscale != nil
                ? .error("pool_shrink is not supported with autoscale. Adjust autoscale range instead.")
                : shrinkPool(by: n, into: &out)
        case .autoscale(let max, let min):
            result = updateAutoscale(max: max, min: min, now: now, into: &out)
        case .addConsumer(let queue):
            // Celery answers the same whether or not it consumed the queue already (add_task_queue
            // only logs the second time).
            if consumeOrder.add(queue: queue) { config.queues.append(queue) }
            result = .ok("add consumer \(queue)")
        case .cancelConsumer(let queue):
            if consumeOrder.remove(queue: queue) { config.queues.removeAll { $0 == queue } }
            result = .ok("no longer consuming from \(queue)")
        case .enableEvents:
            // With -E Celery's dispatcher serves every group (groups empty), so both answers are
            // "already" and nothing changes (captures 16 and 17).
            if config.sendTaskEvents || taskEventsEnabled {
                result = .ok("task events already enabled")
            } else {
                taskEventsEnabled = true
                result = .ok("task events enabled")
            }
        case .disableEvents:
            if !config.sendTaskEvents && taskEventsEnabled {
                taskEventsEnabled = false
                result = .ok("task events disabled")
            } else {
                result = .ok("task events already disabled")
            }
        case .learnRevoked(let ids):
            for id in ids { revoked.insert(id) }
            result = .ok("revoked ids merged")
        case .poolRestart:
            result = restartPool(into: &out)
        case .shutdown:
            shutdown(.warm, now: now, into: &out)
            result = .ok("shutting down")
        }
        dispatch(now: now, into: &out)
        maybeFetch(into: &out)
        maybeFinishShutdown(into: &out)
        nextDeadline = computeNextDeadline()
        return result
    }

    // MARK: Revoke

    /// celery/worker/control.py `_revoke`: every id is remembered; with `terminate`, each one
    /// running is terminated with the signal (SIGTERM by default).
    mutating func revokeControl(ids: [String], terminate: Bool, signal: String?, now: Instant,
                                into out: inout [WorkerDirective]) -> ControlResult {
        var terminated: [String] = []
        for id in ids {
            if revoke(taskID: id, terminate: terminate, signal: terminate ? (signal ?? "SIGTERM") : nil,
                      now: now, into: &out) {
                terminated.append(id)
            }
        }
        if terminate {
            return .ok(terminated.isEmpty ? "terminate: tasks unknown" : "terminate: " + terminated.joined(separator: ", "))
        }
        // Celery formats the Python set of ids: {'a', 'b'}.
        return .ok("tasks {" + ids.map { "'\($0)'" }.joined(separator: ", ") + "} flagged as revoked")
    }

    // MARK: Task limits

    mutating func setRateLimit(taskName: String, text: String) -> ControlResult {
        let trimmed = text.trimmingSpaces()
        let limit: RateLimit?
        if trimmed.isEmpty || Double(trimmed) == 0 {
            limit = nil
        } else if let parsed = RateLimit.parse(trimmed) {
            limit = parsed
        } else {
            return .error("Invalid rate limit string: ValueError(\"could not convert string to float: '\(trimmed.split(separator: "/").first.map(String.init) ?? trimmed)'\")")
        }
        guard config.knowsTask(taskName) else { return .error("unknown task") }
        var options = config.options(for: taskName)
        options.rateLimit = limit
        config.taskOptions[taskName] = options
        cachedOptionsName = nil
        // Celery's consumer.reset_rate_limits(): the task's bucket follows the new limit.
        if let index = rateBucketIndex[taskName] {
            if let limit {
                rateBuckets[index].limit = limit
            } else {
                // No limit any more: what waited on the bucket is ready now, in order.
                ready.append(contentsOf: rateBuckets[index].waiting)
                rateBuckets[index].waiting.removeAll()
                rateBuckets[index].nextAllowed = nil
            }
        }
        return .ok(limit == nil ? "rate limit disabled successfully" : "new rate limit set successfully")
    }

    mutating func setTimeLimits(taskName: String, soft: Double?, hard: Double?) -> ControlResult {
        guard config.knowsTask(taskName) else { return .error("unknown task") }
        var options = config.options(for: taskName)
        options.softTimeLimit = soft.map { TimeSpan.seconds($0) }
        options.timeLimit = hard.map { TimeSpan.seconds($0) }
        config.taskOptions[taskName] = options
        cachedOptionsName = nil
        return .ok("time limits set successfully")
    }

    // MARK: Pool

    /// Makes room for `count` slots (a pool grown beyond its start size).
    mutating func ensureSlots(_ count: Int) {
        while slots.count < count { slots.append(Slot()) }
    }

    /// `pool.grow(n)` and `_update_prefetch_count(n)`: n more children, and the prefetch window
    /// follows the pool size (`prefetchLimit` is concurrency × multiplier).
    mutating func growPool(by n: Int, into out: inout [WorkerDirective]) -> ControlResult {
        let n = max(0, n)
        config.concurrency += n
        ensureSlots(config.concurrency)
        var toStart = n
        for slot in slots.indices where toStart > 0 && slots[slot].isAbsent {
            slots[slot].state = .spawning
            slots[slot].retireAfterTask = false
            out.append(.spawnChild(slot: slot))
            toStart -= 1
        }
        return .ok("pool will grow")
    }

    /// `pool.shrink(n)`: idle children stop now, the most recent first; busy ones after their task.
    /// The pool keeps at least one child.
    mutating func shrinkPool(by n: Int, into out: inout [WorkerDirective]) -> ControlResult {
        let n = min(max(0, n), max(0, config.concurrency - 1))
        config.concurrency -= n
        retire(n, into: &out)
        return .ok("pool will shrink")
    }

    /// Stops `count` children: idle ones first (highest slot first, as billiard shrinks), then
    /// marks busy ones to stop when their task ends.
    mutating func retire(_ count: Int, into out: inout [WorkerDirective]) {
        var toStop = count
        for slot in slots.indices.reversed() where toStop > 0 && slots[slot].isIdle {
            slots[slot].state = .absent
            out.append(.retireChild(slot: slot))
            toStop -= 1
        }
        for slot in slots.indices.reversed() where toStop > 0 && !slots[slot].retireAfterTask
            && (slots[slot].isBusy || slots[slot].isSpawning) {
            slots[slot].retireAfterTask = true
            toStop -= 1
        }
    }

    /// celery/worker/autoscale.py `Autoscaler.update(max, min)`.
    mutating func updateAutoscale(max newMax: Int, min newMin: Int, now: Instant,
                                  into out: inout [WorkerDirective]) -> ControlResult {
        guard var settings = config.autoscale else { return .error("ValueError('Autoscale not enabled')") }
        let processes = poolSize - slots.indices.reduce(0) { $0 + (slots[$1].retireAfterTask ? 1 : 0) }
        if newMax < processes { retire(processes - newMax, into: &out) }
        settings.maxConcurrency = newMax
        ensureSlots(newMax)
        if newMin > processes {
            var toStart = newMin - processes
            for slot in slots.indices where toStart > 0 && slots[slot].isAbsent {
                slots[slot].state = .spawning
                out.append(.spawnChild(slot: slot))
                toStart -= 1
            }
            lastScaleUp = now
        }
        settings.minConcurrency = newMin
        config.autoscale = settings
        return .ok("autoscale now max=\(newMax) min=\(newMin)")
    }

    /// `pool_restart` (worker_pool_restarts): every child is replaced, idle ones now.
    mutating func restartPool(into out: inout [WorkerDirective]) -> ControlResult {
        guard config.poolRestarts else { return .error("ValueError('Pool restarts not enabled')") }
        for slot in slots.indices {
            switch slots[slot].state {
            case .idle:
                slots[slot].state = .spawning
                out.append(.replaceChild(slot: slot, reason: .poolRestart))
            case .busy:
                slots[slot].restartAfterTask = true
            case .absent, .spawning:
                break
            }
        }
        return .ok("reload started")
    }

    /// After a task ends: a child a shrink or a restart marked stops or is replaced now. Returns
    /// whether it did (then no recycling check applies to it).
    mutating func stopAfterTaskIfAsked(slot: Int, into out: inout [WorkerDirective]) -> Bool {
        guard slots.indices.contains(slot), slots[slot].isIdle else { return false }
        if slots[slot].retireAfterTask {
            slots[slot].retireAfterTask = false
            slots[slot].restartAfterTask = false
            slots[slot].state = .absent
            out.append(.retireChild(slot: slot))
            return true
        }
        if slots[slot].restartAfterTask {
            slots[slot].restartAfterTask = false
            slots[slot].state = .spawning
            out.append(.replaceChild(slot: slot, reason: .poolRestart))
            return true
        }
        return false
    }

    /// A child that was starting when a shrink marked it stops as soon as it is ready.
    mutating func childBecameReady(slot: Int, into out: inout [WorkerDirective]) {
        guard slots[slot].retireAfterTask else { return }
        slots[slot].retireAfterTask = false
        slots[slot].state = .absent
        out.append(.retireChild(slot: slot))
    }

    /// Celery's `state.total_count[name] += 1` when a task is accepted.
    mutating func countAccepted(_ name: String) {
        // Most workers accept one type after another: comparing a short name with the last one
        // counted costs less than hashing it.
        if let last = lastTotalsIndex, totals[last].name == name {
            totals[last].count += 1
            return
        }
        if let index = totalsIndex[name] {
            lastTotalsIndex = index
            totals[index].count += 1
        } else {
            totalsIndex[name] = totals.count
            lastTotalsIndex = totals.count
            totals.append((name, 1))
        }
    }
}

// MARK: What inspections read

extension WorkerCore {
    /// Revoked ids remembered, oldest first (`inspect revoked`).
    public var revokedIDs: [String] { revoked.ordered }
    /// Tasks accepted per name, in first-seen order (`stats` `total`).
    public var totalByTaskName: [(name: String, count: Int)] { totals }
    /// How many child slots the pool has now (it grows with `pool_grow` and `autoscale`): a driver
    /// keeps one record per slot.
    public var slotCount: Int { slots.count }
    /// The queues consumed now, in order (`active_queues`).
    public var consumingQueues: [String] { config.queues }

    /// Tasks running now, by slot (`inspect active`).
    public func activeTasks() -> [(request: TaskRequest, slot: Int, startedAt: Instant, acknowledged: Bool)] {
        slots.indices.compactMap { index in
            slots[index].running.map { ($0.request, index, $0.startedAt, !$0.unacked) }
        }
    }

    /// Received, due and not started: waiting for a child or a rate-limit token (`inspect reserved`).
    public func reservedTasks() -> [TaskRequest] {
        ready.map(\.request) + rateBuckets.flatMap { $0.waiting.map(\.request) }
    }

    /// Held for their eta, soonest first (`inspect scheduled`).
    public func scheduledTasks() -> [(request: TaskRequest, eta: Instant)] {
        held.unordered.sorted().map { ($0.reservation.request, $0.eta) }
    }
}

extension String {
    func trimmingSpaces() -> String {
        Substring(self).trimmingWhitespace()
    }
}
