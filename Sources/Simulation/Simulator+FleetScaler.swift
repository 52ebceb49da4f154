import FleetControl
import WorkerCore

/// Fleet-level autoscaling: KEDA's Redis list scaler, Kubernetes' HPA, or a queue-latency rule
/// starting and stopping whole workers of a group (see `FleetScalerSpec`). `FleetController`
/// decides, `SimFleetScaler` turns its directives into events, and `SimulatorFleetWorld` is the
/// simulator as the world they act on: its workers, its broker and its trace.
extension Simulator {
    /// Polls every scaled group on its interval, from the start of the run.
    func scheduleScalers() {
        scalers.begin(SimulatorFleetWorld(self), now: now)
    }

    func scalerTick(_ index: Int) {
        scalers.poll(scaler: index, SimulatorFleetWorld(self), now: now)
    }

    func scalerStart(worker: Int) {
        scalers.startDue(simIndex: worker, SimulatorFleetWorld(self), now: now)
    }

    func scalerGraceOver(worker: Int, generation: Int) {
        scalers.graceOver(simIndex: worker, generation: generation, SimulatorFleetWorld(self), now: now)
    }

    /// For the timeline: desired replicas, KEDA's list length and the full backlog, over every scaled group.
    var scalerFigures: FleetController.Figures { scalers.controller.figures }
}

/// The simulator's workers, broker, event queue and trace, as the fleet scaler's adapter acts on them.
final class SimulatorFleetWorld: SimFleetWorld {
    private unowned let simulator: Simulator

    init(_ simulator: Simulator) { self.simulator = simulator }

    func isRunning(_ worker: FleetWorker) -> Bool { simulator.workers[simIndex(of: worker)].isAlive }

    func readBroker(lists: [String], now: Instant) -> FleetBrokerReading? {
        let broker = simulator.broker
        let oldest = broker.nextOut(ofLists: lists).compactMap { simulator.ledger.dueAt(of: $0.taskNumber) }.min()
        return FleetBrokerReading(listLengths: lists.map { broker.depth(ofList: $0) }, unacked: broker.unackedCount, oldestDueAt: oldest)
    }

    func start(_ worker: FleetWorker, now: Instant) {
        simulator.startWorker(simIndex(of: worker))
    }

    func warmStop(_ worker: FleetWorker, now: Instant) {
        let (trace, workers, worker) = (simulator.trace, simulator.workers, simIndex(of: worker))
        trace.record(now, .scaleDown, "worker", workers[worker].name)
        simulator.pendingInputs.append((worker, .shutdown(.warm)))
    }

    func kill(_ worker: FleetWorker, now: Instant) {
        let (trace, workers, worker) = (simulator.trace, simulator.workers, simIndex(of: worker))
        trace.record(now, .graceOver, "worker", workers[worker].name)
        simulator.killWorker(worker)
    }

    func schedule(_ event: SimEvent, at time: Instant) {
        simulator.queue.schedule(event, at: time)
    }

    func simIndex(of worker: FleetWorker) -> Int {
        guard let first = simulator.workers.firstIndex(where: { $0.group == worker.group }) else {
            preconditionFailure("no workers in group \(worker.group)")
        }
        return first + worker.replica
    }

    func fleetWorker(atSimIndex index: Int) -> FleetWorker {
        let group = simulator.workers[index].group
        return FleetWorker(group: group, replica: index - (simulator.workers.firstIndex { $0.group == group } ?? index))
    }

    func generation(of worker: FleetWorker) -> Int { simulator.workers[simIndex(of: worker)].generation }

    func polled(_ poll: FleetPoll, decision: FleetPoll.Decision, now: Instant) {
        let (trace, scenario) = (simulator.trace, simulator.scenario)
        trace.record(now, .scaler, "group", scenario.fleet[poll.group].name, "desired", String(decision.desired),
                     "list", String(decision.listLength), "backlog", String(decision.backlog))
    }

    func startScheduled(_ worker: FleetWorker, now: Instant) {
        let (trace, workers) = (simulator.trace, simulator.workers)
        trace.record(now, .scaleUp, "worker", workers[simIndex(of: worker)].name)
    }
}
