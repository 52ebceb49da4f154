import CeleryWire
import Scenarios
import WorkerCore

/// One scaled worker group: its workers (all `max_replicas` of them exist, the first `count`
/// start), the policy deciding for it, and what it wanted and saw at its latest poll.
struct FleetScalerState {
    let group: Int
    let spec: FleetScalerSpec
    let workers: [Int]
    /// KEDA reads LLEN of one list: the group's first queue at priority step 0.
    let kedaList: String
    /// Every list of the group's queues (each priority step), for the backlog Celery really holds.
    let allLists: [String]
    var policy: FleetScalerPolicy
    var desired: Int
    var lastListLength = 0
    var lastBacklog = 0
}

/// Fleet-level autoscaling: KEDA's Redis list scaler, Kubernetes' HPA, or a queue-latency rule
/// starting and stopping whole workers of a group (see `FleetScalerSpec`).
extension Simulator {
    /// Polls every scaled group on its interval, from the start of the run.
    func scheduleScalers() {
        for (index, state) in scalers.enumerated() {
            queue.schedule(.scalerTick(index), at: Simulator.epoch + state.spec.pollingInterval)
        }
    }

    func scalerTick(_ index: Int) {
        var state = scalers[index]
        let alive = state.workers.filter { workers[$0].isAlive && !stopping.contains($0) }
        let current = alive.count + state.workers.filter { startingWorkers.contains($0) }.count
        let oldest = broker.nextOut(ofLists: state.allLists).compactMap { ledger.dueAt(of: $0.taskNumber) }.min()
        let reading = FleetScalerPolicy.Reading(
            current: current, listLength: broker.depth(ofList: state.kedaList),
            backlog: state.allLists.reduce(0) { $0 + broker.depth(ofList: $1) } + broker.unackedCount,
            oldestWait: oldest.map { now - $0 } ?? .zero)
        state.lastListLength = reading.listLength
        state.lastBacklog = reading.backlog
        state.desired = state.policy.desired(reading, now: now)
        scalers[index] = state
        trace.record(now, .scaler, "group", scenario.fleet[state.group].name, "desired", String(state.desired),
                     "list", String(reading.listLength), "backlog", String(reading.backlog))
        follow(index, current: current)
        queue.schedule(.scalerTick(index), at: now + state.spec.pollingInterval)
    }

    /// Starts or stops workers until the group runs `desired`: new ones after the start-up delay
    /// (lowest numbers first), removed ones by a warm shutdown (highest numbers first), killed if
    /// they outlive the grace period.
    private func follow(_ index: Int, current: Int) {
        let state = scalers[index]
        if state.desired > current {
            var needed = state.desired - current
            for worker in state.workers where needed > 0 && !workers[worker].isAlive && !startingWorkers.contains(worker) {
                startingWorkers.insert(worker)
                trace.record(now, .scaleUp, "worker", workers[worker].name)
                queue.schedule(.scalerStart(worker: worker), at: now + state.spec.startupDelay)
                needed -= 1
            }
        } else if state.desired < current {
            var surplus = current - state.desired
            // Cancel starts that have not happened yet before stopping running workers.
            for worker in state.workers.reversed() where surplus > 0 && startingWorkers.contains(worker) {
                startingWorkers.remove(worker)
                surplus -= 1
            }
            for worker in state.workers.reversed() where surplus > 0 && workers[worker].isAlive && !stopping.contains(worker) {
                stopping.insert(worker)
                trace.record(now, .scaleDown, "worker", workers[worker].name)
                pendingInputs.append((worker, .shutdown(.warm)))
                queue.schedule(.scalerGraceOver(worker: worker, generation: workers[worker].generation),
                               at: now + state.spec.shutdownGrace)
                surplus -= 1
            }
        }
    }

    func scalerStart(worker: Int) {
        guard startingWorkers.remove(worker) != nil else { return }
        stopping.remove(worker)
        startWorker(worker)
    }

    func scalerGraceOver(worker: Int, generation: Int) {
        defer { if !workers[worker].isAlive { stopping.remove(worker) } }
        guard workers[worker].isAlive, workers[worker].generation == generation else { return }
        trace.record(now, .graceOver, "worker", workers[worker].name)
        killWorker(worker)
        stopping.remove(worker)
    }

    /// For the timeline: desired replicas, KEDA's list length and the full backlog, over every scaled group.
    var scalerFigures: (desired: Int, listLength: Int, backlog: Int) {
        scalers.reduce((0, 0, 0)) { ($0.0 + $1.desired, $0.1 + $1.lastListLength, $0.2 + $1.lastBacklog) }
    }
}
