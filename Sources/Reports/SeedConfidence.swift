import Scenarios

/// The rule that decides whether an SLO holds for a configuration simulated over several seeds:
/// it holds when it holds in at least `confidence` share of the planned seeds, that is in
/// `requiredPasses = ⌈confidence × seeds⌉` of them. A configuration with more than
/// `allowedFailures = seeds − requiredPasses` failures of any SLO can no longer meet it, whatever
/// its remaining seeds give, which is what lets a plan stop simulating it early.
public struct ConfidenceRule: Sendable, Equatable {
    public var confidence: Double
    /// Seeds planned per configuration.
    public var seeds: Int

    public init(confidence: Double, seeds: Int) { self.confidence = confidence; self.seeds = seeds }

    public var requiredPasses: Int {
        // A hair under so 0.9 × 10 stays 9 despite binary fractions.
        min(seeds, max(1, Int((confidence * Double(seeds) - 1e-9).rounded(.up))))
    }

    public var allowedFailures: Int { seeds - requiredPasses }

    /// Whether `passes` out of the planned seeds meet the rule.
    public func holds(passes: Int) -> Bool { passes >= requiredPasses }

    /// Whether `failures` already rule the SLO out (no remaining seed can save it).
    public func clearlyFails(failures: Int) -> Bool { failures > allowedFailures }
}

/// One SLO over one configuration's seeds: the values in seed order, how many held, the spread,
/// and the margin to the threshold.
public struct SeedSpread: Sendable, Equatable {
    /// The metric per seed run, in seed order (nil: the summary had no such figure; counts as missed).
    public var values: [Double?]
    public var passes: Int
    public var failures: Int { values.count - passes }
    public var median: Double?
    public var p10: Double?
    public var p90: Double?
    public var min: Double?
    public var max: Double?
    /// The value the confidence rule judges: for an upper bound (`<`, `<=`, `==`) the
    /// `requiredPasses`-th smallest value over the seeds run, for a lower bound (`>`, `>=`) the
    /// `requiredPasses`-th largest. The SLO holds at the stated confidence exactly when this value
    /// meets the threshold (over a full set of seeds). Nil for `!=`.
    public var confidenceValue: Double?

    public init(assertion: Assertion, values: [Double?], rule: ConfidenceRule) {
        self.values = values
        passes = values.filter { $0.map { assertion.comparison.holds($0, assertion.threshold) } ?? false }.count
        let known = values.compactMap { $0 }.sorted()
        median = Self.quantile(known, 0.5)
        p10 = Self.quantile(known, 0.1)
        p90 = Self.quantile(known, 0.9)
        min = known.first
        max = known.last
        let rank = Swift.min(rule.requiredPasses, known.count)
        switch assertion.comparison {
        case .less, .lessOrEqual, .equal: confidenceValue = rank >= 1 ? known[rank - 1] : nil
        case .greater, .greaterOrEqual: confidenceValue = rank >= 1 ? known[known.count - rank] : nil
        case .notEqual: confidenceValue = nil
        }
    }

    /// The quantile of sorted values by linear interpolation between order statistics
    /// (`(n − 1) × q`, the usual "type 7"); nil when there are none.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let position = Double(sorted.count - 1) * q
        let low = Int(position.rounded(.down)), high = Int(position.rounded(.up))
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }

    /// Headroom of `value` to the threshold, in the metric's unit: positive when it meets an upper
    /// (`<`, `<=`) or lower (`>`, `>=`) bound with room to spare, negative when it misses. Nil for
    /// `==` and `!=`, which have no direction.
    public static func margin(_ value: Double?, to assertion: Assertion) -> Double? {
        guard let value else { return nil }
        switch assertion.comparison {
        case .less, .lessOrEqual: return assertion.threshold - value
        case .greater, .greaterOrEqual: return value - assertion.threshold
        case .equal, .notEqual: return nil
        }
    }
}
