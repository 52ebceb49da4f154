import WorkerCore

/// `KEY=VALUE` changes to a loaded scenario, as `lovage simulate --set` and the `lovage plan`
/// sweep apply them: each fleet setting applies to every worker group.
///
/// A change that would not change the run is refused with the reason rather than silently run:
/// `concurrency` on an autoscaled group (its pool is sized by `autoscale`), `workers` on a group
/// with a fleet scaler (the scaler decides how many run), `autoscale=off` where no group is
/// autoscaled, `rate` on a load without rated phases (a trace: `load_factor` scales it),
/// `scaler.*` without a scaler. Overrides
/// apply in order, so `autoscale=off` then `concurrency=4` is a fixed pool of 4.
///
/// Keys: `workers` (processes per group), `concurrency`, `prefetch_multiplier`,
/// `max_tasks_per_child` (0: none), `autoscale` (`MAX,MIN`, or `off`), `seed`, and `rate` (every
/// load phase's rate multiplied so its peak is this many tasks/s), `load_factor` (every phase's
/// rate and burst's count multiplied by F, a trace's rows repeated F times), and the fleet scaler's
/// `scaler.policy` (or `autoscale.policy`) and `scaler.<setting>` (see `ScalerOverride`).
public struct ScenarioOverride: Sendable, Equatable, CustomStringConvertible {
    public static let keys = ["workers", "concurrency", "prefetch_multiplier", "max_tasks_per_child", "autoscale", "seed", "rate",
                                    "load_factor"]

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
            let hint = NearestName.hint(for: parts[0], among: Self.keys + ScalerOverride.allKeys)
            throw ScenarioOverrideError("\(text): unknown key \(parts[0])\(hint); known: \(Self.keys.joined(separator: ", ")), "
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
        try apply(to: &probe, checkingEffect: false)
    }

    /// Applies the change; with `checkingEffect`, refuses one that would leave the run as it was
    /// (without it only the value's form is checked, for parsing before the scenario is loaded).
    func apply(to scenario: inout Scenario, checkingEffect: Bool = true) throws(ScenarioOverrideError) {
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
            if checkingEffect, let group = scenario.fleet.first(where: { $0.scaler != nil }), let scaler = group.scaler {
                throw ScenarioOverrideError("\(self): workers has no lasting effect on group \(group.name): its fleet scaler "
                                            + "(\(scaler.policyName), \(scaler.minReplicas) to \(scaler.maxReplicas) replicas) decides "
                                            + "how many run; set scaler.min_replicas and scaler.max_replicas instead, or scaler.policy=off first")
            }
            for index in scenario.fleet.indices { scenario.fleet[index].count = count }
        case "concurrency":
            let slots = try positive()
            if checkingEffect, let group = scenario.fleet.first(where: { $0.autoscale != nil }), let autoscale = group.autoscale {
                throw ScenarioOverrideError("\(self): concurrency has no effect on group \(group.name): it is autoscaled "
                                            + "(autoscale: \(autoscale.maxConcurrency),\(autoscale.minConcurrency)); "
                                            + "set autoscale=MAX,MIN instead or autoscale=off first")
            }
            for index in scenario.fleet.indices { scenario.fleet[index].concurrency = slots }
        case "prefetch_multiplier":
            guard let multiplier = Int(value), multiplier >= 0 else { throw ScenarioOverrideError("\(key)=\(value): expected a whole number >= 0") }
            for index in scenario.fleet.indices { scenario.fleet[index].prefetchMultiplier = multiplier }
        case "max_tasks_per_child":
            guard let tasks = Int(value), tasks >= 0 else { throw ScenarioOverrideError("\(key)=\(value): expected a whole number >= 0 (0: no limit)") }
            for index in scenario.fleet.indices { scenario.fleet[index].maxTasksPerChild = tasks == 0 ? nil : tasks }
        case "autoscale":
            if value == "off" {
                if checkingEffect, !scenario.fleet.contains(where: { $0.autoscale != nil }) {
                    throw ScenarioOverrideError("\(self): no worker group of \(scenario.name) is autoscaled, so there is "
                                                + "nothing to turn off (set concurrency=N for a fixed pool size)")
                }
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
                // As the loader does: the pool can grow to `max` processes, which is what `-c` of the
                // real worker, the Erlang C model and `autoscale=off` after it read.
                scenario.fleet[index].concurrency = bounds[0]
            }
        case "seed":
            guard let seed = UInt64(value) else { throw ScenarioOverrideError("\(key)=\(value): expected a whole number") }
            scenario.seed = seed
        case "rate":
            if let trace = scenario.load.trace {
                if !checkingEffect { return }
                throw ScenarioOverrideError("\(self): rate has no effect on \(scenario.name): its load is the trace "
                                            + "\(trace.path), which has no phases to scale; use load_factor=F to multiply it")
            }
            guard let rate = Double(value.hasSuffix("/s") ? String(value.dropLast(2)) : value), rate > 0, rate.isFinite else {
                throw ScenarioOverrideError("\(key)=\(value): expected tasks per second, like 500 or 500/s")
            }
            let peak = scenario.load.phases.map { max($0.rateFrom, $0.rateTo) }.max() ?? 0
            guard peak > 0 else {
                if !checkingEffect { return }
                throw ScenarioOverrideError("\(self): rate has no effect on \(scenario.name): its load has no phase with a rate "
                                            + "above 0 (rate scales the phases so their peak is R; bursts are not scaled)")
            }
            let factor = rate / peak
            for index in scenario.load.phases.indices {
                scenario.load.phases[index].rateFrom *= factor
                scenario.load.phases[index].rateTo *= factor
            }
        case "load_factor":
            guard let factor = Double(value), factor > 0, factor.isFinite, !value.hasPrefix("+") else {
                throw ScenarioOverrideError("\(key)=\(value): expected a factor above 0, like 2 or 0.5")
            }
            for index in scenario.load.phases.indices {
                scenario.load.phases[index].rateFrom *= factor
                scenario.load.phases[index].rateTo *= factor
            }
            // A burst keeps at least one task: a thinned load still has its spike.
            for index in scenario.load.bursts.indices {
                scenario.load.bursts[index].count = max(1, Int((Double(scenario.load.bursts[index].count) * factor).rounded()))
            }
            // A trace's rows are fixed; the replay repeats or thins them (TraceReplay), with its own seed stream.
            scenario.load.traceFactor *= factor
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

extension ScenarioOverride {
    /// The folder-name part that names a run's settings: `workers10-concurrency8` for
    /// `workers=10 concurrency=8`, `autoscale8-2` for `autoscale=8,2`; empty without settings.
    /// `seed` is left out (the folder already names the seed in use). Characters other than
    /// letters, digits, `.` and `_` become `-`, so the name is safe on every file system.
    public static func folderSlug(_ overrides: [ScenarioOverride]) -> String {
        overrides.filter { $0.key != "seed" }.map { override in
            var slug = ""
            var lastWasDash = false
            for scalar in (override.key + override.value).unicodeScalars {
                let keep = scalar.isASCII && (scalar.properties.isAlphabetic || NumberScanner.isDigit(scalar) || scalar == "." || scalar == "_")
                if keep { slug.unicodeScalars.append(scalar); lastWasDash = false }
                else if !lastWasDash { slug += "-"; lastWasDash = true }
            }
            while slug.hasSuffix("-") { slug.removeLast() }
            return slug
        }.joined(separator: "-")
    }

    /// A run's default output folder, `results/runs/<scenario>-<kind>seed<N>[-<settings>]`: a run
    /// with settings never writes over the folder of the file's own run.
    /// - Parameter kind: `""` for `simulate`, `"sim-"`, `"redis-"`, `"fidelity-"`... for the others.
    public static func defaultFolder(scenario: String, kind: String = "", seed: UInt64, overrides: [ScenarioOverride]) -> String {
        let slug = folderSlug(overrides)
        return "results/runs/\(scenario)-\(kind)seed\(seed)" + (slug.isEmpty ? "" : "-" + slug)
    }

    /// Parses each `--set` text, with the option named in the error.
    public static func parseAll(_ texts: [String], option: String = "--set") throws(ScenarioOverrideError) -> [ScenarioOverride] {
        var out: [ScenarioOverride] = []
        for text in texts {
            do { out.append(try ScenarioOverride(parsing: text)) } catch { throw ScenarioOverrideError("\(option) \(error)") }
        }
        return out
    }
}
