import WorkerCore

/// A fleet-level autoscaler for one worker group: how real deployments add and remove whole
/// worker processes (pods) beside Celery's in-worker `--autoscale`.
///
/// Every policy reads the broker every `pollingInterval`, proposes a number of replicas within
/// `minReplicas...maxReplicas`, and the fleet follows it: a started worker takes `startupDelay` to
/// begin consuming (image pull, imports), a removed one gets a warm shutdown (SIGTERM) and is
/// killed if still running after `shutdownGrace` (Kubernetes' terminationGracePeriodSeconds).
public struct FleetScalerSpec: Sendable, Equatable {
    public enum Policy: Sendable, Equatable {
        /// KEDA's Redis list scaler: desired = ceil(LLEN(list) / listLength), through the HPA it
        /// feeds, which keeps the largest recommendation of the last `scaleDownStabilization` when
        /// scaling down. KEDA itself only moves between zero and one: at or below
        /// `activationListLength` the scaler is inactive, and with `minReplicas` 0 the group goes to
        /// zero after `cooldownPeriod` without activity. It reads one list: the first queue's.
        case queueLength(listLength: Int, activationListLength: Int, cooldownPeriod: TimeSpan)
        /// Kubernetes' HPA on a backlog-per-replica target: desired = ceil(current × backlog /
        /// (current × target)); changes within `tolerance` are ignored; scale-up takes the smallest
        /// recommendation of the last `scaleUpStabilization`, scale-down the largest of the last
        /// `scaleDownStabilization`; at most `scaleUpPods` more (or +100%, whichever is more) per
        /// period. The backlog is what Celery really holds: every list of the group's queues plus
        /// the messages workers have taken and not acknowledged.
        case hpa(targetBacklogPerReplica: Double, tolerance: Double, scaleUpStabilization: TimeSpan, scaleUpPods: Int)
        /// Queue latency: when the oldest waiting message is older than `threshold`, add `jump`
        /// replicas; when it has stayed below for `scaleDownDelay`, remove one.
        case queueLatency(threshold: TimeSpan, jump: Int, scaleDownDelay: TimeSpan)
    }

    /// What a scenario may leave out of a policy: KEDA's and Kubernetes' defaults. The loader and
    /// the `scaler.policy` override both start from these.
    public enum Defaults {
        /// KEDA's Redis list scaler `listLength`; also the HPA's backlog per replica when a sweep
        /// switches to it with nothing to carry over.
        public static let backlogPerReplica = 5
        public static let activationListLength = 0
        public static let cooldownPeriod = TimeSpan.seconds(300)
        public static let tolerance = 0.1
        public static let scaleUpStabilization = TimeSpan.zero
        public static let scaleUpPods = 4
        public static let latencyThreshold = TimeSpan.seconds(30)
        public static let jump = 1
        public static let scaleDownDelay = TimeSpan.seconds(300)
    }

    public var policy: Policy
    public var minReplicas: Int
    public var maxReplicas: Int
    public var pollingInterval: TimeSpan
    /// The HPA's scale-down stabilization window (300 s by default), for the KEDA and HPA policies.
    public var scaleDownStabilization: TimeSpan = .seconds(300)
    public var startupDelay: TimeSpan = .zero
    public var shutdownGrace: TimeSpan = .seconds(30)

    public init(policy: Policy, minReplicas: Int, maxReplicas: Int, pollingInterval: TimeSpan) {
        self.policy = policy
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.pollingInterval = pollingInterval
    }

    /// The policy's name as the scenario file spells it.
    public var policyName: String {
        switch policy {
        case .queueLength: return "queue_length"
        case .hpa: return "hpa"
        case .queueLatency: return "queue_latency"
        }
    }
}
