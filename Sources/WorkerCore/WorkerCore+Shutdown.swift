/// Warm and cold shutdown (celery/worker/state.py, celery/apps/worker.py; Kombu's
/// `QoS.restore_unacked_once` gives back what the channel still holds when it closes).
extension WorkerCore {
    mutating func shutdown(_ kind: ShutdownKind, now: Instant, into out: inout [WorkerDirective]) {
        switch (kind, lifecycle) {
        case (_, .stopped):
            return
        case (.warm, .created), (.cold, .created):
            lifecycle = .stopped
            out.append(.stopConsuming)
            out.append(.stopped)
        case (.warm, .running):
            // Stop consuming; running tasks finish; the rest is given back when they have.
            lifecycle = .warmShutdown
            out.append(.stopConsuming)
        case (.warm, .warmShutdown):
            return
        case (.cold, .running), (.cold, .warmShutdown):
            out.append(.stopConsuming)
            var runningUnacked: [Reservation] = []
            for slot in slots.indices {
                if let running = slots[slot].running {
                    if running.unacked {
                        runningUnacked.append(Reservation(request: running.request, sequence: running.deliverySequence))
                    }
                    out.append(.killChild(slot: slot, reason: .coldShutdown))
                }
                slots[slot].state = .absent
            }
            giveBackUnacked(extra: runningUnacked, into: &out)
            lifecycle = .stopped
            out.append(.stopped)
        }
    }

    /// Warm shutdown ends once no task runs: retire the children and give back the rest.
    mutating func maybeFinishShutdown(into out: inout [WorkerDirective]) {
        guard lifecycle == .warmShutdown, runningCount == 0 else { return }
        giveBackUnacked(extra: [], into: &out)
        for slot in slots.indices where !slots[slot].isAbsent {
            slots[slot].state = .absent
            out.append(.retireChild(slot: slot))
        }
        lifecycle = .stopped
        out.append(.stopped)
    }

    /// Restores every message the worker still holds. Kombu pops its `delivered` map last-in first
    /// and RPUSHes each, so the earliest delivery ends up at the consuming end of the list again.
    mutating func giveBackUnacked(extra: [Reservation], into out: inout [WorkerDirective]) {
        var pending = extra
        pending.append(contentsOf: ready)
        ready.removeAll()
        while !held.isEmpty { pending.append(held.removeMin().reservation) }
        for index in rateBuckets.indices {
            pending.append(contentsOf: rateBuckets[index].waiting)
            rateBuckets[index].waiting.removeAll()
        }
        guard !pending.isEmpty else { return }
        pending.sort { $0.sequence > $1.sequence }
        unacked.subtract(pending.count)
        out.append(.restore(pending.map(\.request)))
    }
}
