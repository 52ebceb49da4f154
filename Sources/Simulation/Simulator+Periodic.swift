import Reports
import Scenarios
import WorkerCore

/// The run's periodic figures and invariants: what `PeriodicRuns` judged from the beats' sends and
/// coverage, and a violation per entry when the run duplicated or missed more runs than the
/// scenario's `invariants.periodic_duplicate` / `periodic_missed` allow (none by default).
extension Simulator {
    /// Invariant names of the run summary's violations (`Exploration.Invariant` maps them).
    public static let periodicDuplicateInvariant = "periodic run duplicated"
    public static let periodicMissedInvariant = "periodic run missed"

    func periodicResult() -> (summary: RunSummary.PeriodicSummary, violations: [RunSummary.InvariantViolation])? {
        guard let world = beatWorld else { return nil }
        let summary = world.judge.summary()
        var violations: [RunSummary.InvariantViolation] = []
        func check(_ invariant: String, allowed: Int?, total: Int, count: (RunSummary.PeriodicFigures) -> Int,
                   causes: (RunSummary.PeriodicFigures) -> [RunSummary.PeriodicCause]) {
            guard let allowed, total > allowed else { return }
            for entry in summary.entries where count(entry) > 0 {
                let list = causes(entry)
                violations.append(RunSummary.InvariantViolation(
                    invariant: invariant, subject: entry.entry, atSeconds: list.map(\.firstAtSeconds).min() ?? 0,
                    detail: list.map { "\($0.count)× \($0.cause)" }.joined(separator: "; ")))
            }
        }
        check(Self.periodicDuplicateInvariant, allowed: scenario.invariants.periodicDuplicatesAllowed, total: summary.duplicates,
              count: \.duplicates, causes: \.duplicateCauses)
        check(Self.periodicMissedInvariant, allowed: scenario.invariants.periodicMissedAllowed, total: summary.missed,
              count: \.missed, causes: \.missedCauses)
        return (summary, violations)
    }
}
