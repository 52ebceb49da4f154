/// Quantiles of Student's t distribution, for prediction intervals over a handful of seeds.
enum StudentT {
    /// The 0.995 quantile (a two-sided 99% interval) for 1…30 degrees of freedom, from the
    /// standard table; above 30 the value of the largest tabulated row not above the degrees of
    /// freedom (30, 40, 60, 120), so the interval is never narrower than the exact one.
    static func twoSided99(degreesOfFreedom df: Int) -> Double {
        precondition(df >= 1, "a t quantile needs at least one degree of freedom")
        if df <= table.count { return table[df - 1] }
        if df < 40 { return table[table.count - 1] }
        if df < 60 { return 2.704 }
        if df < 120 { return 2.660 }
        return 2.617
    }

    private static let table: [Double] = [
        63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169,
        3.106, 3.055, 3.012, 2.977, 2.947, 2.921, 2.898, 2.878, 2.861, 2.845,
        2.831, 2.819, 2.807, 2.797, 2.787, 2.779, 2.771, 2.763, 2.756, 2.750,
    ]
}
