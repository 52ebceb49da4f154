import WorkerCore
import Yams

/// A worker group's `scaler:`: a fleet-level autoscaler (KEDA's list scaler, an HPA, or a
/// queue-latency rule) that starts and stops whole workers of the group.
extension ScenarioBuilder {
    static let scalerKeys = ["policy", "min_replicas", "max_replicas", "polling_interval", "scale_down_stabilization",
                             "startup_delay", "shutdown_grace",
                             // queue_length (KEDA)
                             "list_length", "activation_list_length", "cooldown_period",
                             // hpa
                             "target_backlog_per_replica", "tolerance", "scale_up_stabilization", "scale_up_pods",
                             // queue_latency
                             "threshold", "jump", "scale_down_delay"]
    static let keysByPolicy: [String: [String]] = [
        "queue_length": ["list_length", "activation_list_length", "cooldown_period"],
        "hpa": ["target_backlog_per_replica", "tolerance", "scale_up_stabilization", "scale_up_pods"],
        "queue_latency": ["threshold", "jump", "scale_down_delay"],
    ]

    func readScaler(_ node: Node, _ path: String, initialCount: Int) -> FleetScalerSpec? {
        guard let fields = reader.fields(node, path, allowed: Self.scalerKeys, expected: "a scaler mapping {policy, min_replicas, max_replicas, ...}")
        else { return nil }
        guard let policyNode = reader.required(fields, "policy", what: "queue_length, hpa or queue_latency"),
              let policyName = reader.string(policyNode, fields.path("policy")) else { return nil }
        guard let own = Self.keysByPolicy[policyName] else {
            reader.fail(policyNode, fields.path("policy"), expected: "queue_length, hpa or queue_latency", policyNode)
            return nil
        }
        var ok = true
        for (other, keys) in Self.keysByPolicy where other != policyName {
            for key in keys where fields[key] != nil && !own.contains(key) {
                reader.fail(fields.entry(key)!.keyNode, fields.path(key), expected: "a key of the \(policyName) policy",
                            found: "`\(key)`", message: "`\(key)` belongs to the \(other) policy, not \(policyName)")
                ok = false
            }
        }
        func int(_ key: String, _ range: ClosedRange<Int>, _ fallback: Int?) -> Int? {
            guard let node = fields[key] else {
                if fallback == nil { _ = reader.required(fields, key, what: "a whole number"); ok = false }
                return fallback
            }
            let value = reader.int(node, fields.path(key), in: range, expected: "a whole number from \(range.lowerBound)")
            if value == nil { ok = false }
            return value
        }
        func span(_ key: String, _ fallback: TimeSpan, positive: Bool = false) -> TimeSpan {
            guard let node = fields[key] else { return fallback }
            guard let value = reader.duration(node, fields.path(key), positive: positive) else { ok = false; return fallback }
            return value
        }
        let minReplicas = int("min_replicas", 0...100_000, 0) ?? 0
        let maxReplicas = int("max_replicas", 1...100_000, nil) ?? 1
        if minReplicas > maxReplicas, let node = fields["min_replicas"] {
            reader.fail(node, fields.path("min_replicas"), expected: "at most max_replicas (\(maxReplicas))", node)
            ok = false
        }
        if !(minReplicas...max(minReplicas, maxReplicas)).contains(initialCount) {
            reader.fail(node, path, expected: "the group's count (\(initialCount)) within min_replicas...max_replicas",
                        found: "\(minReplicas)...\(maxReplicas)", message: "count \(initialCount) is outside \(minReplicas)...\(maxReplicas)")
            ok = false
        }
        let policy: FleetScalerSpec.Policy
        switch policyName {
        case "queue_length":
            policy = .queueLength(listLength: int("list_length", 1...10_000_000, nil) ?? 1,
                                  activationListLength: int("activation_list_length", 0...10_000_000, FleetScalerSpec.Defaults.activationListLength) ?? 0,
                                  cooldownPeriod: span("cooldown_period", FleetScalerSpec.Defaults.cooldownPeriod))
        case "hpa":
            var target = 1.0
            if let node = fields["target_backlog_per_replica"] {
                target = reader.number(node, fields.path("target_backlog_per_replica"), expected: "a positive number") { $0 > 0 } ?? { ok = false; return 1 }()
            } else {
                _ = reader.required(fields, "target_backlog_per_replica", what: "the backlog one replica should hold")
                ok = false
            }
            var tolerance = FleetScalerSpec.Defaults.tolerance
            if let node = fields["tolerance"] {
                tolerance = reader.number(node, fields.path("tolerance"), expected: "a fraction from 0 to 1") { (0...1).contains($0) } ?? { ok = false; return FleetScalerSpec.Defaults.tolerance }()
            }
            policy = .hpa(targetBacklogPerReplica: target, tolerance: tolerance,
                          scaleUpStabilization: span("scale_up_stabilization", FleetScalerSpec.Defaults.scaleUpStabilization),
                          scaleUpPods: int("scale_up_pods", 1...100_000, FleetScalerSpec.Defaults.scaleUpPods) ?? FleetScalerSpec.Defaults.scaleUpPods)
        default:
            policy = .queueLatency(threshold: span("threshold", FleetScalerSpec.Defaults.latencyThreshold, positive: true),
                                   jump: int("jump", 1...100_000, FleetScalerSpec.Defaults.jump) ?? FleetScalerSpec.Defaults.jump,
                                   scaleDownDelay: span("scale_down_delay", FleetScalerSpec.Defaults.scaleDownDelay))
        }
        var spec = FleetScalerSpec(policy: policy, minReplicas: minReplicas, maxReplicas: maxReplicas,
                                   pollingInterval: span("polling_interval", policyName == "hpa" ? .seconds(15) : .seconds(30), positive: true))
        spec.scaleDownStabilization = span("scale_down_stabilization", .seconds(300))
        spec.startupDelay = span("startup_delay", .zero)
        spec.shutdownGrace = span("shutdown_grace", .seconds(30))
        return ok ? spec : nil
    }
}
