import WorkerCore
import Yams

/// Task duration distributions: constant, uniform, exponential, lognormal and empirical.
extension ScenarioBuilder {
    static let distributionKinds = ["constant", "uniform", "exponential", "lognormal", "empirical"]

    /// - Parameter subSecondUnit: see `Reader.duration`; given for distributions of sub-second
    ///   times (`worker_boot`), it applies to every duration inside.
    func readDistribution(_ node: Node, _ path: String, subSecondUnit: String? = nil) -> DurationDistribution? {
        if case .scalar = node {
            return reader.duration(node, path, subSecondUnit: subSecondUnit).map(DurationDistribution.constant)
        }
        let expected = "a duration or one of {uniform: {min, max}}, {exponential: {mean}},"
            + " {lognormal: {median, p99}}, {empirical: [...]}"
        guard case .mapping = node,
              let fields = reader.fields(node, path, allowed: Self.distributionKinds, expected: expected) else {
            if case .mapping = node {} else { reader.fail(node, path, expected: expected, node) }
            return nil
        }
        guard fields.entries.count == 1, let entry = fields.entries.first else {
            if fields.entries.count > 1 {
                let extra = fields.entries[1]
                reader.fail(extra.keyNode, fields.path(extra.key), expected: "exactly one distribution",
                            found: "both \(quoted(fields.entries[0].key)) and \(quoted(extra.key))")
            } else if !fields.node.mapping!.isEmpty {
                // Only unknown keys: already reported.
            } else {
                reader.fail(node, path, expected: expected, found: "an empty mapping")
            }
            return nil
        }
        let kindPath = fields.path(entry.key)
        switch entry.key {
        case "constant":
            return reader.duration(entry.value, kindPath, subSecondUnit: subSecondUnit).map(DurationDistribution.constant)
        case "uniform":
            guard let inner = reader.fields(entry.value, kindPath, allowed: ["min", "max"]) else { return nil }
            let low = reader.required(inner, "min", what: "the shortest duration")
                .flatMap { reader.duration($0, inner.path("min"), subSecondUnit: subSecondUnit) }
            let high = reader.required(inner, "max", what: "the longest duration")
                .flatMap { reader.duration($0, inner.path("max"), subSecondUnit: subSecondUnit) }
            guard let low, let high else { return nil }
            guard low <= high else {
                reader.fail(inner["max"], inner.path("max"),
                            expected: "a maximum no shorter than min (\(DurationText.format(low)))", inner["max"]!)
                return nil
            }
            return .uniform(min: low, max: high)
        case "exponential":
            guard let inner = reader.fields(entry.value, kindPath, allowed: ["mean"]) else { return nil }
            return reader.required(inner, "mean", what: "the mean duration")
                .flatMap { reader.duration($0, inner.path("mean"), positive: true, subSecondUnit: subSecondUnit) }
                .map { .exponential(mean: $0) }
        case "lognormal":
            guard let inner = reader.fields(entry.value, kindPath, allowed: ["median", "p99"]) else { return nil }
            let median = reader.required(inner, "median", what: "the median duration")
                .flatMap { reader.duration($0, inner.path("median"), positive: true, subSecondUnit: subSecondUnit) }
            let p99 = reader.required(inner, "p99", what: "the 99th percentile duration")
                .flatMap { reader.duration($0, inner.path("p99"), positive: true, subSecondUnit: subSecondUnit) }
            guard let median, let p99 else { return nil }
            guard p99 > median else {
                reader.fail(inner["p99"], inner.path("p99"),
                            expected: "a p99 longer than the median (\(DurationText.format(median)))", inner["p99"]!)
                return nil
            }
            return .logNormal(median: median, p99: p99)
        default: // empirical
            guard let items = reader.list(entry.value, kindPath, expected: "a list of measured durations") else { return nil }
            guard !items.isEmpty else {
                reader.fail(entry.value, kindPath, expected: "at least one measured duration", found: "an empty list")
                return nil
            }
            var values: [TimeSpan] = []
            for (index, item) in items.enumerated() {
                if let value = reader.duration(item, KeyPathText.index(kindPath, index), subSecondUnit: subSecondUnit) { values.append(value) }
            }
            return values.count == items.count ? .empirical(values) : nil
        }
    }
}
