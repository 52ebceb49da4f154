import Scenarios

/// One scenario assertion checked against the summary.
public struct AssertionOutcome: Sendable {
    public var assertion: Assertion
    public var value: Double?
    public var holds: Bool

    /// Each assertion checked against the summary's metric of that name (unknown: fails).
    public static func check(_ assertions: [Assertion], against summary: RunSummary) -> [AssertionOutcome] {
        assertions.map { assertion in
            let value = summary.metric(assertion.metric)
            return AssertionOutcome(assertion: assertion, value: value,
                                    holds: value.map { assertion.comparison.holds($0, assertion.threshold) } ?? false)
        }
    }
}
