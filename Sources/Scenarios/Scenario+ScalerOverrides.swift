import WorkerCore

/// `scaler.KEY=VALUE` overrides: change the fleet scaler of every worker group that has one, so a
/// plan can sweep policies and their settings (`--vary scaler.policy=queue_length,hpa,queue_latency`,
/// `--vary scaler.max_replicas=4...12`). `autoscale.policy` is accepted as another name for
/// `scaler.policy`.
///
/// Changing the policy keeps the group's replicas and timings (min/max replicas, polling interval,
/// stabilization, start-up delay, shutdown grace) and gives the new policy its own settings: the
/// backlog one replica should hold carries over between `queue_length` (list_length) and `hpa`
/// (target_backlog_per_replica); everything else starts at KEDA's and Kubernetes' defaults.
/// `scaler.policy=off` removes the scaler: the group keeps its starting count.
enum ScalerOverride {
    static let policyKeys = ["scaler.policy", "autoscale.policy"]
    static let policyNames = ["queue_length", "hpa", "queue_latency", "off"]

    /// Every scaler key, for "did you mean".
    static var allKeys: [String] { policyKeys + ScenarioBuilder.scalerKeys.filter { $0 != "policy" }.map { "scaler." + $0 } }

    static func isScalerKey(_ key: String) -> Bool {
        policyKeys.contains(key) || (key.hasPrefix("scaler.") && ScenarioBuilder.scalerKeys.contains(String(key.dropFirst(7))))
    }

    /// Checks the value's form without a scenario (the key's group may only exist in the file).
    static func checkForm(key: String, value: String) throws(ScenarioOverrideError) {
        var probe = FleetScalerSpec(policy: .queueLatency(threshold: .seconds(30), jump: 1, scaleDownDelay: .seconds(300)),
                                    minReplicas: 1, maxReplicas: 1, pollingInterval: .seconds(30))
        if policyKeys.contains(key) {
            guard policyNames.contains(value) else {
                throw ScenarioOverrideError("\(key)=\(value): expected one of \(policyNames.joined(separator: ", "))")
            }
            return
        }
        let name = String(key.dropFirst(7))
        if let owner = ScenarioBuilder.keysByPolicy.first(where: { $0.value.contains(name) })?.key {
            probe.policy = defaultPolicy(named: owner, carrying: nil)
        }
        var count = 1
        try set(name, value, on: &probe, count: &count, key: key)
    }

    static func apply(key: String, value: String, to scenario: inout Scenario) throws(ScenarioOverrideError) {
        let groups = scenario.fleet.indices.filter { scenario.fleet[$0].scaler != nil }
        guard !groups.isEmpty else {
            throw ScenarioOverrideError("\(key)=\(value): no worker group of \(scenario.name) has a `scaler:`; "
                                        + "add one to the scenario (its replicas and timings are kept when the policy changes)")
        }
        for index in groups {
            guard var spec = scenario.fleet[index].scaler else { continue }
            if policyKeys.contains(key) {
                if value == "off" {
                    scenario.fleet[index].scaler = nil
                    continue
                }
                if spec.policyName != value { spec.policy = defaultPolicy(named: value, carrying: spec.policy) }
            } else {
                try set(String(key.dropFirst(7)), value, on: &spec, count: &scenario.fleet[index].count, key: key)
            }
            scenario.fleet[index].scaler = spec
        }
    }

    /// A policy with its defaults; `carrying` passes the backlog per replica between the two
    /// backlog policies.
    static func defaultPolicy(named name: String, carrying previous: FleetScalerSpec.Policy?) -> FleetScalerSpec.Policy {
        typealias Defaults = FleetScalerSpec.Defaults
        var backlogPerReplica: Double?
        switch previous {
        case .queueLength(let listLength, _, _): backlogPerReplica = Double(listLength)
        case .hpa(let target, _, _, _): backlogPerReplica = target
        default: backlogPerReplica = nil
        }
        switch name {
        case "queue_length":
            let length = backlogPerReplica.map { max(1, Int($0.rounded(.up))) } ?? Defaults.backlogPerReplica
            return .queueLength(listLength: length, activationListLength: Defaults.activationListLength,
                                cooldownPeriod: Defaults.cooldownPeriod)
        case "hpa":
            return .hpa(targetBacklogPerReplica: backlogPerReplica ?? Double(Defaults.backlogPerReplica), tolerance: Defaults.tolerance,
                        scaleUpStabilization: Defaults.scaleUpStabilization, scaleUpPods: Defaults.scaleUpPods)
        default:
            return .queueLatency(threshold: Defaults.latencyThreshold, jump: Defaults.jump, scaleDownDelay: Defaults.scaleDownDelay)
        }
    }

    /// Sets one scaler setting; a policy's own setting must belong to the group's policy.
    static func set(_ name: String, _ value: String, on spec: inout FleetScalerSpec, count: inout Int,
                    key: String) throws(ScenarioOverrideError) {
        func whole(_ range: ClosedRange<Int>) throws(ScenarioOverrideError) -> Int {
            guard let number = Int(value), range.contains(number) else {
                throw ScenarioOverrideError("\(key)=\(value): expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        func span(positive: Bool = false) throws(ScenarioOverrideError) -> TimeSpan {
            guard let span = DurationText.parse(value), !positive || span.microseconds > 0 else {
                throw ScenarioOverrideError("\(key)=\(value): expected a duration like 30s or 5m\(positive ? " (more than zero)" : "")")
            }
            return span
        }
        func number(_ range: ClosedRange<Double>, positive: Bool = false) throws(ScenarioOverrideError) -> Double {
            guard let number = Double(value), number.isFinite, range.contains(number), !positive || number > 0 else {
                throw ScenarioOverrideError("\(key)=\(value): expected a number\(positive ? " above" : " from") \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        func wrongPolicy() -> ScenarioOverrideError {
            let owner = ScenarioBuilder.keysByPolicy.first { $0.value.contains(name) }?.key ?? "another"
            return ScenarioOverrideError("\(key)=\(value): \(name) is a setting of the \(owner) policy, and the scaler's policy is "
                                         + "\(spec.policyName) (put --vary scaler.policy=\(owner) before it)")
        }
        switch (name, spec.policy) {
        case ("policy", _):
            throw ScenarioOverrideError("\(key)=\(value): use scaler.policy")
        case ("min_replicas", _):
            spec.minReplicas = try whole(0...100_000)
            spec.maxReplicas = max(spec.maxReplicas, spec.minReplicas)
        case ("max_replicas", _):
            spec.maxReplicas = try whole(1...100_000)
            spec.minReplicas = min(spec.minReplicas, spec.maxReplicas)
        case ("polling_interval", _): spec.pollingInterval = try span(positive: true)
        case ("scale_down_stabilization", _): spec.scaleDownStabilization = try span()
        case ("startup_delay", _): spec.startupDelay = try span()
        case ("shutdown_grace", _): spec.shutdownGrace = try span()
        case ("list_length", .queueLength(_, let activation, let cooldown)):
            spec.policy = .queueLength(listLength: try whole(1...10_000_000), activationListLength: activation, cooldownPeriod: cooldown)
        case ("activation_list_length", .queueLength(let length, _, let cooldown)):
            spec.policy = .queueLength(listLength: length, activationListLength: try whole(0...10_000_000), cooldownPeriod: cooldown)
        case ("cooldown_period", .queueLength(let length, let activation, _)):
            spec.policy = .queueLength(listLength: length, activationListLength: activation, cooldownPeriod: try span())
        case ("target_backlog_per_replica", .hpa(_, let tolerance, let stabilization, let pods)):
            spec.policy = .hpa(targetBacklogPerReplica: try number(0...1e9, positive: true), tolerance: tolerance,
                               scaleUpStabilization: stabilization, scaleUpPods: pods)
        case ("tolerance", .hpa(let target, _, let stabilization, let pods)):
            spec.policy = .hpa(targetBacklogPerReplica: target, tolerance: try number(0...1), scaleUpStabilization: stabilization, scaleUpPods: pods)
        case ("scale_up_stabilization", .hpa(let target, let tolerance, _, let pods)):
            spec.policy = .hpa(targetBacklogPerReplica: target, tolerance: tolerance, scaleUpStabilization: try span(), scaleUpPods: pods)
        case ("scale_up_pods", .hpa(let target, let tolerance, let stabilization, _)):
            spec.policy = .hpa(targetBacklogPerReplica: target, tolerance: tolerance, scaleUpStabilization: stabilization,
                               scaleUpPods: try whole(1...100_000))
        case ("threshold", .queueLatency(_, let jump, let delay)):
            spec.policy = .queueLatency(threshold: try span(positive: true), jump: jump, scaleDownDelay: delay)
        case ("jump", .queueLatency(let threshold, _, let delay)):
            spec.policy = .queueLatency(threshold: threshold, jump: try whole(1...100_000), scaleDownDelay: delay)
        case ("scale_down_delay", .queueLatency(let threshold, let jump, _)):
            spec.policy = .queueLatency(threshold: threshold, jump: jump, scaleDownDelay: try span())
        default:
            throw wrongPolicy()
        }
        // The group starts within its replicas, as the scenario loader requires.
        count = min(max(count, spec.minReplicas), spec.maxReplicas)
    }
}
