/// Timers: ETA holds, time limits, rate-limit buckets and Celery's autoscaler.
extension WorkerCore {
    /// Held messages whose eta has come go to the ready queue and count against prefetch again
    /// (celery/worker/consumer: `apply_eta_task` then `qos.decrement_eventually`).
    mutating func releaseDueHolds(now: Instant, into out: inout [WorkerDirective]) {
        while let top = held.min, top.eta <= now {
            let entry = held.removeMin()
            if revokeIfNeeded(entry.reservation.request, now: now, into: &out) { continue }
            reserve(entry.reservation, now: now)
        }
    }

    /// Soft limit: tell the task once. Hard limit: kill and replace the child; the task fails with
    /// TimeLimitExceeded and, under acks_late, is acknowledged when `acks_on_failure_or_timeout`
    /// holds, else requeued (`Request.on_timeout`).
    mutating func enforceTimeLimits(now: Instant, into out: inout [WorkerDirective]) {
        for slot in slots.indices {
            guard let running = slots[slot].running else { continue }
            if let hard = running.hardDeadline, hard <= now {
                let request = running.request
                let limit = hard - running.startedAt
                slots[slot].state = .spawning
                out.append(.killChild(slot: slot, reason: .hardTimeLimit))
                store(request, state: .failure, error: .timeLimitExceeded(limit), into: &out)
                canvasAfterFailure(request, error: .timeLimitExceeded(limit), into: &out)
                if running.unacked {
                    if effectiveOptions(request).acksOnFailureOrTimeout {
                        acknowledge(request, into: &out)
                    } else {
                        reject(request, requeue: true, into: &out)
                    }
                }
                event(.failed, request, slot: slot, detail: "TimeLimitExceeded", into: &out)
                out.append(.spawnChild(slot: slot))
            } else if let soft = running.softDeadline, soft <= now, !running.softLimitRaised {
                var raised = running
                raised.softLimitRaised = true
                slots[slot].state = .busy(raised)
                out.append(.raiseSoftTimeLimit(slot: slot, execution: running.execution))
            }
        }
    }

    /// Moves rate-limited requests whose bucket has a token to the ready queue, one token each.
    mutating func releaseRateLimited(now: Instant) {
        for index in rateBuckets.indices {
            while let first = rateBuckets[index].waiting.first {
                if let next = rateBuckets[index].nextAllowed, next > now { break }
                rateBuckets[index].waiting.removeFirst()
                rateBuckets[index].nextAllowed = now + rateBuckets[index].limit.interval
                ready.append(first)
            }
        }
    }

    /// Celery's autoscaler (celery/worker/autoscale.py `_maybe_scale`): grow at once to
    /// min(reserved, max); shrink toward max(reserved, min) only when more than `keepalive` has
    /// passed since the last growth (and never before a first growth), and only idle children.
    mutating func autoscaleStep(now: Instant, into out: inout [WorkerDirective]) {
        guard let autoscale = config.autoscale, lifecycle == .running else { return }
        let procs = poolSize
        let quantity = reservedRequestCount
        let grown = min(quantity, autoscale.maxConcurrency)
        if grown > procs {
            var toAdd = grown - procs
            for slot in slots.indices where toAdd > 0 && slots[slot].isAbsent {
                slots[slot].state = .spawning
                out.append(.spawnChild(slot: slot))
                toAdd -= 1
            }
            lastScaleUp = now
            return
        }
        let shrunk = max(quantity, autoscale.minConcurrency)
        guard shrunk < procs, let lastScaleUp, now - lastScaleUp > autoscale.keepalive else { return }
        var toRemove = procs - shrunk
        // billiard shrinks idle processes only, the most recently added first.
        for slot in slots.indices.reversed() where toRemove > 0 && slots[slot].isIdle {
            slots[slot].state = .absent
            out.append(.retireChild(slot: slot))
            toRemove -= 1
        }
    }
}
