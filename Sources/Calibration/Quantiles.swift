/// Percentiles of recorded samples by nearest rank on the sorted values: every figure is one that
/// was measured. (`SeedConfidence.quantile` in Reports interpolates, for figures over seeds.)
public enum Quantiles {
    public static func of(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(sorted.count - 1, max(0, rank))]
    }

    public static func median(_ values: [Double]) -> Double? { of(values.sorted(), 0.5) }
}
