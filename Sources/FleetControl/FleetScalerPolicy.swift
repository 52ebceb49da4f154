import Scenarios
import WorkerCore

/// The decision of a fleet scaler, without I/O: given what one poll measured, the number of
/// replicas the group should run. `FleetController` feeds it the figures both drivers read from
/// their broker (the lists, `unacked` and the oldest waiting message) and carries out its answer,
/// so the policies behave the same in both worlds. Keeps the memory a policy needs between polls (the
/// HPA's recommendations, KEDA's last activity, the queue-latency calm period).
public struct FleetScalerPolicy: Sendable {
    /// One poll's measurements.
    public struct Reading: Sendable {
        /// Replicas running or starting, not counting those being stopped.
        public var current: Int
        /// LLEN of the one list KEDA reads (the group's first queue, priority step 0).
        public var listLength: Int
        /// What Celery really holds: every list of the group's queues plus `unacked`.
        public var backlog: Int
        /// How long the oldest waiting message has been due (zero when none waits).
        public var oldestWait: TimeSpan

        public init(current: Int, listLength: Int, backlog: Int, oldestWait: TimeSpan) {
            self.current = current
            self.listLength = listLength
            self.backlog = backlog
            self.oldestWait = oldestWait
        }
    }

    public let spec: FleetScalerSpec
    private var recommendations: [(at: Instant, replicas: Int)] = []
    private var lastActiveAt: Instant
    private var calmSince: Instant?

    public init(spec: FleetScalerSpec, start: Instant) {
        self.spec = spec
        lastActiveAt = start
    }

    /// The replicas wanted after this poll, within min_replicas...max_replicas.
    public mutating func desired(_ reading: Reading, now: Instant) -> Int {
        let current = reading.current
        let proposal: Int
        switch spec.policy {
        case .queueLength(let listLength, let activation, let cooldown):
            // KEDA itself only decides between zero and one replica: it activates the group when
            // LLEN passes `activation_list_length` and, with min_replicas 0, deactivates it after
            // `cooldown_period` without activity. Between one and max the HPA it feeds decides,
            // from desired = ceil(LLEN / list_length) with its scale-down stabilization.
            if reading.listLength > activation { lastActiveAt = now }
            let inactive = reading.listLength <= activation
            if spec.minReplicas == 0 && inactive && (current == 0 || now - lastActiveAt >= cooldown) {
                proposal = 0
            } else {
                let raw = Int((Double(reading.listLength) / Double(listLength)).rounded(.up))
                proposal = stabilized(raw: max(1, raw), current: current, upWindow: .zero, now: now)
            }
        case .hpa(let target, let tolerance, let upWindow, let upPods):
            let replicas = max(1, current)
            let ratio = Double(reading.backlog) / (Double(replicas) * target)
            var raw = abs(ratio - 1) <= tolerance ? replicas : Int((Double(replicas) * ratio).rounded(.up))
            // Scale-up policy: at most +upPods or +100% per period, whichever is more.
            raw = min(raw, replicas + max(upPods, replicas))
            proposal = stabilized(raw: raw, current: current, upWindow: upWindow, now: now)
        case .queueLatency(let threshold, let jump, let downDelay):
            if reading.oldestWait > threshold {
                calmSince = nil
                proposal = current + jump
            } else {
                if calmSince == nil { calmSince = now }
                proposal = now - (calmSince ?? now) >= downDelay && current > 0 ? current - 1 : current
                if proposal < current { calmSince = now }
            }
        }
        return min(spec.maxReplicas, max(spec.minReplicas, proposal))
    }

    /// The HPA's stabilization: scaling up takes the smallest recommendation of `upWindow`,
    /// scaling down the largest of the scale-down window, so one quiet poll does not shrink the fleet.
    private mutating func stabilized(raw: Int, current: Int, upWindow: TimeSpan, now: Instant) -> Int {
        recommendations.append((now, raw))
        let longest = max(upWindow, spec.scaleDownStabilization)
        recommendations.removeAll { now - $0.at > longest }
        if raw > current {
            return recommendations.filter { now - $0.at <= upWindow }.map(\.replicas).min() ?? raw
        }
        return recommendations.filter { now - $0.at <= spec.scaleDownStabilization }.map(\.replicas).max() ?? raw
    }
}
