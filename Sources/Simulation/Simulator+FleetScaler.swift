import CeleryWire
import Scenarios
import WorkerCore

/// One scaled worker group's state: its workers (all `max_replicas` of them exist, the first
/// `count` start), what the policy wants, and the memory the policies need between polls.
struct FleetScalerState {
    let group: Int
    let spec: FleetScalerSpec
    let workers: [Int]
    /// KEDA reads LLEN of one list: the group's first queue at priority step 0.
    let kedaList: String
    /// Every list of the group's queues (each priority step), for the backlog Celery really holds.
    let allLists: [String]
    var desired: Int
    /// Recommendations of past polls, for the HPA's stabilization windows.
    var recommendations: [(at: Instant, replicas: Int)] = []
    /// KEDA: when the metric was last above the activation threshold.
    var lastActiveAt: Instant
    /// Queue latency: since when the oldest wait has been below the threshold.
    var calmSince: Instant?
    /// The figures of the latest poll, for the timeline.
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
        let listLength = broker.depth(ofList: state.kedaList)
        let backlog = state.allLists.reduce(0) { $0 + broker.depth(ofList: $1) } + broker.unackedCount
        state.lastListLength = listLength
        state.lastBacklog = backlog
        let proposal: Int
        switch state.spec.policy {
        case .queueLength(let listLength, let activation, let cooldown):
            // KEDA itself only decides between zero and one replica: it activates the group when
            // LLEN passes `activation_list_length` and, with min_replicas 0, deactivates it after
            // `cooldown_period` without activity. Between one and max the HPA it feeds decides,
            // from desired = ceil(LLEN / list_length) with its scale-down stabilization.
            let metric = state.lastListLength
            if metric > activation { state.lastActiveAt = now }
            let inactive = metric <= activation
            if state.spec.minReplicas == 0 && inactive && (current == 0 || now - state.lastActiveAt >= cooldown) {
                proposal = 0
            } else {
                let raw = Int((Double(metric) / Double(listLength)).rounded(.up))
                proposal = stabilized(&state, raw: max(1, raw), current: current, upWindow: .zero)
            }
        case .hpa(let target, let tolerance, let upWindow, let upPods):
            let replicas = max(1, current)
            let ratio = Double(backlog) / (Double(replicas) * target)
            var raw = abs(ratio - 1) <= tolerance ? replicas : Int((Double(replicas) * ratio).rounded(.up))
            // Scale-up policy: at most +upPods or +100% per period, whichever is more.
            raw = min(raw, replicas + max(upPods, replicas))
            proposal = stabilized(&state, raw: raw, current: current, upWindow: upWindow)
        case .queueLatency(let threshold, let jump, let downDelay):
            let oldest = broker.nextOut(ofLists: state.allLists).compactMap { ledger.dueAt(of: $0.id) }.min()
            let age = oldest.map { now - $0 } ?? .zero
            if age > threshold {
                state.calmSince = nil
                proposal = current + jump
            } else {
                if state.calmSince == nil { state.calmSince = now }
                proposal = now - (state.calmSince ?? now) >= downDelay && current > 0 ? current - 1 : current
                if proposal < current { state.calmSince = now }
            }
        }
        state.desired = min(state.spec.maxReplicas, max(state.spec.minReplicas, proposal))
        scalers[index] = state
        trace.record(now, "scaler", "group", scenario.fleet[state.group].name, "desired", String(state.desired),
                     "list", String(listLength), "backlog", String(backlog))
        follow(index, current: current)
        queue.schedule(.scalerTick(index), at: now + state.spec.pollingInterval)
    }

    /// The HPA's stabilization: scaling up takes the smallest recommendation of `upWindow`,
    /// scaling down the largest of the scale-down window, so one quiet poll does not shrink the fleet.
    private func stabilized(_ state: inout FleetScalerState, raw: Int, current: Int, upWindow: TimeSpan) -> Int {
        state.recommendations.append((now, raw))
        let longest = max(upWindow, state.spec.scaleDownStabilization)
        state.recommendations.removeAll { now - $0.at > longest }
        if raw > current {
            return state.recommendations.filter { now - $0.at <= upWindow }.map(\.replicas).min() ?? raw
        }
        return state.recommendations.filter { now - $0.at <= state.spec.scaleDownStabilization }.map(\.replicas).max() ?? raw
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
                trace.record(now, "scale-up", "worker", workers[worker].name)
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
                trace.record(now, "scale-down", "worker", workers[worker].name)
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
        trace.record(now, "grace-over", "worker", workers[worker].name)
        killWorker(worker)
        stopping.remove(worker)
    }

    /// For the timeline: desired replicas, KEDA's list length and the full backlog, over every scaled group.
    var scalerFigures: (desired: Int, listLength: Int, backlog: Int) {
        scalers.reduce((0, 0, 0)) { ($0.0 + $1.desired, $0.1 + $1.lastListLength, $0.2 + $1.lastBacklog) }
    }
}
