import Reports
import Scenarios
import WorkerCore

/// A scenario's scheduled controls (`controls:`): at its time each one goes to every addressed
/// worker's core through `WorkerCore.control`, the same input the live worker's mailbox gives it
/// (celery/worker/pidbox.py hands each request to celery/worker/control.py), and the core's
/// directives are carried out like any others. Each application is traced and counted.
extension Simulator {
    /// Schedules every control at its time; called once before the run starts.
    func scheduleControls() {
        for (index, control) in scenario.controls.enumerated() {
            pendingControls += 1
            queue.schedule(.control(index), at: Simulator.epoch + control.at)
        }
    }

    /// The core control a scheduled one stands for at this moment: a revoke by arrival index is the
    /// id that arrival has or will have (the n-th publish is t<n+1>, and the core remembers revoked
    /// ids, so a revoke before the arrival applies when it comes); a revoke of a queued name is the
    /// ids of that name waiting in the broker's lists now, in the broker's deterministic order.
    func resolve(_ command: ScenarioControl) -> WorkerControl {
        switch command {
        case let .control(control):
            return control
        case let .revokeArrival(index, terminate):
            return .revoke(taskIDs: [numberedID(UInt8(ascii: "t"), index + 1)], terminate: terminate, signal: nil)
        case let .revokeQueued(name, terminate):
            let ids = broker.queuedMessages().filter { $0.name == name }.map(\.id)
            return .revoke(taskIDs: ids, terminate: terminate, signal: nil)
        }
    }

    func applyControl(_ index: Int) {
        let scheduled = scenario.controls[index]
        let control = resolve(scheduled.command)
        let text = ScenarioControl.control(control).description
        let at = (now - Simulator.epoch).seconds
        // Workers in fleet order, never a dictionary's.
        for worker in workers.indices where scheduled.addresses(workers[worker].name) {
            let name = workers[worker].name
            guard workers[worker].isAlive else {
                trace.record(now, .control, "worker", name, "command", text, "reply", "no reply")
                controlOutcomes.append(RunSummary.ControlOutcome(atSeconds: at, control: text, worker: name,
                                                                 status: "none", reply: ""))
                continue
            }
            var out: [WorkerDirective] = []
            let result = workers[worker].control(control, now: now, into: &out)
            let (status, reply): (String, String)
            switch result {
            case let .ok(message): (status, reply) = ("ok", message)
            case let .error(message): (status, reply) = ("error", message)
            }
            trace.record(now, .control, "worker", name, "command", text, "reply", "\(status): \(reply)")
            controlOutcomes.append(RunSummary.ControlOutcome(atSeconds: at, control: text, worker: name,
                                                             status: status, reply: reply))
            apply(&out, worker: worker)
            rescheduleTimer(worker)
            // A grown pool spawns children at once; a shrunk one may free memory: the limit can act.
            enforceMemoryLimit(worker)
        }
    }
}
