import Scenarios
import WorkerCore
import Workload

/// The modelled pool children: a task body's run in a slot (its sampled fate), its end, soft and
/// hard time limits, and children spawned, recycled and killed.
extension Simulator {
    /// `taskIndexByName[name]` behind a one-entry cache: workers mostly run one type after another,
    /// and comparing a short name costs less than hashing it.
    func modelledTaskIndex(named name: String) -> Int? {
        if let cached = lastTaskLookup, cached.name == name { return cached.index }
        let index = taskIndexByName[name]
        lastTaskLookup = (name, index)
        return index
    }

    func execute(_ request: TaskRequest, slot: Int, execution: UInt64, worker: Int) {
        // One reference to the worker: each `workers[worker]` retains and releases it.
        let simWorker = workers[worker]
        // The body starts once the host's CPUs have taken the task's work (`host:`) and the child
        // has the task (`child_handoff`); the slot is busy from now.
        let bodyStart = now + waitForHostCPU() + simWorker.childHandoff
        let taskIndex = modelledTaskIndex(named: request.name)
        // One write to the child (each `children[slot]` write checks the array is unique).
        simWorker.children[slot].begin(execution: execution, request: request, startedAt: bodyStart, taskIndex: taskIndex)
        guard let taskIndex else {
            // A task type the scenario does not model runs as a no-op.
            queue.schedule(.bodyFinished(worker: worker, generation: simWorker.generation, slot: slot,
                                         execution: execution), at: bodyStart)
            return
        }
        let fate = BodySampler.draw(bodyModels[taskIndex], slowFactor: slowFactor(for: request.name), random: &bodies)
        let generation = simWorker.generation
        switch fate {
        case .finishes(let after, let outcome):
            simWorker.children[slot].plannedOutcome = outcome
            if hostMemory != nil, bodyModels[taskIndex].memoryRetainedPerCallBytes > 0 {
                // The synthetic body sleeps, then writes what it keeps (lovage.synthetic).
                queue.schedule(.bodyWritesMemory(worker: worker, generation: generation, slot: slot, execution: execution),
                               at: bodyStart + after)
                return
            }
            // The slot is busy for the worker's per-task overhead too (part of the measured run time).
            queue.schedule(.bodyFinished(worker: worker, generation: generation, slot: slot, execution: execution),
                           at: bodyStart + after + simWorker.taskOverhead)
        case .crashes(let after):
            queue.schedule(.childCrashed(worker: worker, generation: generation, slot: slot, execution: execution),
                           at: bodyStart + after)
        case .hangs:
            trace.record(now, .hang, "task", request.id, "worker", workers[worker].name)
        }
    }

    /// Replaces a slot's child with none: the memory it kept goes back to the host's free memory.
    func freeChild(worker: Int, slot: Int) {
        let kept = workers[worker].children[slot].retainedBytes
        if kept > 0 { hostMemory?.freed(bytes: kept, at: now) }
        workers[worker].children[slot] = SimChild()
    }

    func bodyFinished(worker: Int, generation: Int, slot: Int, execution: UInt64) {
        guard workers[worker].generation == generation, workers[worker].children[slot].execution == execution else {
            return
        }
        // Field by field: copying the whole child would retain its request and planned outcome.
        let simWorker = workers[worker]
        let outcome = simWorker.children[slot].plannedOutcome ?? .succeeded(resultJSON: nil)
        var succeeded = false
        if case .succeeded = outcome { succeeded = true }
        ledger.recordRunTime(now - simWorker.children[slot].startedAt, taskIndex: simWorker.children[slot].taskIndex,
                             succeeded: succeeded)
        if let taskIndex = simWorker.children[slot].taskIndex {
            simWorker.children[slot].retainedBytes += bodyModels[taskIndex].memoryRetainedPerCallBytes
        }
        simWorker.children[slot].execution = nil
        pendingInputs.append((worker, .taskFinished(slot: slot, execution: execution, outcome: outcome,
                                                    childResidentKiB: residentKiB(worker: worker, slot: slot))))
        // What the body kept may pass the container's limit: killed now, before the worker hears
        // that the task finished (the input finds it dead), so a late ack is never sent.
        enforceMemoryLimit(worker)
    }

    func raiseSoftTimeLimit(slot: Int, execution: UInt64, worker: Int) {
        guard workers[worker].children[slot].execution == execution else { return }
        // The modelled body does not catch SoftTimeLimitExceeded: it fails at once.
        ledger.recordRunTime(now - workers[worker].children[slot].startedAt, taskIndex: workers[worker].children[slot].taskIndex,
                             succeeded: false)
        workers[worker].children[slot].execution = nil
        pendingInputs.append((worker, .taskFinished(slot: slot, execution: execution,
                                                    outcome: .failed(.softTimeLimitExceeded()),
                                                    childResidentKiB: residentKiB(worker: worker, slot: slot))))
    }

    func killChild(slot: Int, reason: ChildStopReason, worker: Int) {
        let child = workers[worker].children[slot]
        if reason == .hardTimeLimit, child.execution != nil {
            ledger.recordRunTime(now - child.startedAt, taskIndex: child.taskIndex, succeeded: false)
        }
        trace.record(now, .childKill, "worker", workers[worker].name, "slot", String(slot), "reason", reason.rawValue)
        freeChild(worker: worker, slot: slot)
    }

    func spawnChild(slot: Int, worker: Int, recycled: ChildStopReason?) {
        if let recycled {
            ledger.counts.recycled += 1
            trace.record(now, .childRecycle, "worker", workers[worker].name, "slot", String(slot), "reason", recycled.rawValue)
        }
        freeChild(worker: worker, slot: slot)
        let startup = workers[worker].childStartup
        if startup.microseconds > 0 {
            queue.schedule(.childReady(worker: worker, generation: workers[worker].generation, slot: slot),
                           at: now + startup)
        } else {
            workers[worker].children[slot].isAlive = true
            pendingInputs.append((worker, .childReady(slot: slot)))
        }
    }
}
