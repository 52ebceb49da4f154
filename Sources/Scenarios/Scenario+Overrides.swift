import WorkerCore

/// `KEY=VALUE` changes to a loaded scenario, as `lovage simulate --set` and the `lovage plan`
/// sweep apply them: each fleet setting applies to every worker group.
///
/// Keys: `workers` (processes per group), `concurrency`, `prefetch_multiplier`,
/// `max_tasks_per_child` (0: none), `autoscale` (`MAX,MIN`, or `off`), `seed`, and `rate` (every
/// load phase's rate multiplied so its peak is this many tasks/s), and the fleet scaler's
/// `scaler.policy` (or `autoscale.policy`) and `scaler.<setting>` (see `ScalerOverride`).
public struct ScenarioOverride: Sendable, Equatable, CustomStringConvertible {
    public static let keys = ["workers", "concurrency", "prefetch_multiplier", "max_tasks_per_child", "autoscale", "seed", "rate"]

    public var key: String
    public var value: String
    public var description: String { "\(key)=\(value)" }

    /// Parses `KEY=VALUE`, checking the key and the value's form.
    public init(parsing text: String) throws(ScenarioOverrideError) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw ScenarioOverrideError("\(text): expected KEY=VALUE with KEY one of \(Self.keys.joined(separator: ", "))")
        }
        guard Self.keys.contains(parts[0]) || ScalerOverride.isScalerKey(parts[0]) else {
            throw ScenarioOverrideError("\(text): unknown key \(parts[0]); known: \(Self.keys.joined(separator: ", ")), "
                                        + "scaler.policy (autoscale.policy) and scaler.<setting>")
        }
        key = parts[0]
        value = parts[1]
        if ScalerOverride.isScalerKey(key) {
            try ScalerOverride.checkForm(key: key, value: value)
            return
        }
        var probe = Scenario(name: "", description: "", seed: 0, duration: .seconds(1), drain: .zero, broker: BrokerSpec(),
                             fleet: [WorkerGroupSpec()], tasks: [], routes: [], load: LoadSpec(), faults: [], assertions: [],
                             sourcePath: "")
        try apply(to: &probe)
    }

    func apply(to scenario: inout Scenario) throws(ScenarioOverrideError) {
        func positive() throws(ScenarioOverrideError) -> Int {
            guard let number = Int(value), number >= 1 else { throw ScenarioOverrideError("\(key)=\(value): expected a whole number >= 1") }
            return number
        }
        if ScalerOverride.isScalerKey(key) {
            try ScalerOverride.apply(key: key, value: value, to: &scenario)
            return
        }
        switch key {
        case "workers":
            let count = try positive()
            for index in scenario.fleet.indices { scenario.fleet[index].count = count }
        case "concurrency":
            let slots = try positive()
            for index in scenario.fleet.indices { scenario.fleet[index].concurrency = slots }
        case "prefetch_multiplier":
            guard let multiplier = Int(value), multiplier >= 0 else { throw ScenarioOverrideError("\(key)=\(value): expected a whole number >= 0") }
            for index in scenario.fleet.indices { scenario.fleet[index].prefetchMultiplier = multiplier }
        case "max_tasks_per_child":
            guard let tasks = Int(value), tasks >= 0 else { throw ScenarioOverrideError("\(key)=\(value): expected a whole number >= 0 (0: no limit)") }
            for index in scenario.fleet.indices { scenario.fleet[index].maxTasksPerChild = tasks == 0 ? nil : tasks }
        case "autoscale":
            if value == "off" {
                for index in scenario.fleet.indices { scenario.fleet[index].autoscale = nil }
                return
            }
            let bounds = value.split(separator: ",").compactMap { Int($0) }
            guard bounds.count == 2, bounds[1] >= 0, bounds[0] >= max(1, bounds[1]) else {
                throw ScenarioOverrideError("\(key)=\(value): expected MAX,MIN with MAX >= MIN >= 0 and MAX >= 1, or off")
            }
            for index in scenario.fleet.indices {
                let keepalive = scenario.fleet[index].autoscale?.keepalive ?? .seconds(30)
                scenario.fleet[index].autoscale = AutoscaleSettings(maxConcurrency: bounds[0], minConcurrency: bounds[1], keepalive: keepalive)
            }
        case "seed":
            guard let seed = UInt64(value) else { throw ScenarioOverrideError("\(key)=\(value): expected a whole number") }
            scenario.seed = seed
        case "rate":
            guard let rate = Double(value.hasSuffix("/s") ? String(value.dropLast(2)) : value), rate > 0, rate.isFinite else {
                throw ScenarioOverrideError("\(key)=\(value): expected tasks per second, like 500 or 500/s")
            }
            let peak = scenario.load.phases.map { max($0.rateFrom, $0.rateTo) }.max() ?? 0
            guard peak > 0 else { return }
            let factor = rate / peak
            for index in scenario.load.phases.indices {
                scenario.load.phases[index].rateFrom *= factor
                scenario.load.phases[index].rateTo *= factor
            }
        default:
            throw ScenarioOverrideError("unknown key \(key)")
        }
    }
}

public struct ScenarioOverrideError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Scenario {
    /// The scenario with the overrides applied in order.
    public func overriding(_ overrides: [ScenarioOverride]) throws(ScenarioOverrideError) -> Scenario {
        var copy = self
        for override in overrides { try override.apply(to: &copy) }
        return copy
    }
}
