import Reports
import Scenarios
import Simulation
import WorkerCore

/// Judges one simulated run against the invariants `lovage explore` checks.
///
/// The safety invariants come from the simulator's ledger (lost tasks, eta and expiry, attempts,
/// autoscaler bounds, and duplicates with their causes, judged by `DuplicatePolicy`); liveness is
/// judged here from when the run ended and what it left over.
public enum InvariantCheck {
    /// Subjects kept per breach: enough to tell a story, few enough to read.
    static let subjectsKept = 3

    public static func breaches(of result: RunResult, scenario: Scenario) -> [Breach] {
        let summary = result.summary
        var found: [Invariant: (count: Int, detail: String, subjects: [String])] = [:]
        func note(_ invariant: Invariant, _ count: Int, _ detail: String, _ subject: String) {
            var entry = found[invariant] ?? (0, detail, [])
            entry.count += count
            if entry.subjects.count < subjectsKept && !entry.subjects.contains(subject) { entry.subjects.append(subject) }
            found[invariant] = entry
        }
        for violation in summary.invariantViolations {
            let line = "\(violation.subject) \(violation.detail) at \(StoryTime.format(seconds: violation.atSeconds))"
            switch violation.invariant {
            case "task lost": note(.lostTask, 1, "\(violation.subject): \(violation.detail)", violation.subject)
            case "started before eta", "started after expiry": note(.etaOrExpiry, 1, "\(violation.invariant): \(line)", violation.subject)
            case "more attempts than max_retries + 1": note(.tooManyAttempts, 1, line, violation.subject)
            case "autoscaler out of bounds": note(.autoscaleBounds, 1, "\(violation.subject): \(violation.detail)", violation.subject)
            case "duplicate execution without redelivery": break   // reported below with the duplicate causes
            case Simulator.periodicDuplicateInvariant, Simulator.periodicMissedInvariant:
                // One violation per entry: the breach lists every entry with its causes.
                let invariant: Invariant = violation.invariant == Simulator.periodicMissedInvariant ? .periodicMissed : .periodicDuplicate
                note(invariant, 0, "", violation.subject)
                let line = "\(violation.subject): \(violation.detail)"
                let before = found[invariant]?.detail ?? ""
                found[invariant]?.detail = before.isEmpty ? line : before + "; " + line
            default: note(.lostTask, 0, "\(violation.invariant): \(line)", violation.subject)
            }
        }
        let policy = DuplicatePolicy(scenario: scenario)
        let disallowed = summary.duplicateCauses.filter { !policy.allows(cause: $0.cause) }
        for cause in disallowed {
            note(.duplicateNotAllowed, cause.count, "", cause.exampleTaskID)
        }
        if !disallowed.isEmpty {
            found[.duplicateNotAllowed]?.detail = disallowed.map { "\($0.count)× \($0.cause) (e.g. \($0.exampleTaskID))" }
                .joined(separator: "; ")
        }
        if let periodic = summary.periodic {
            found[.periodicDuplicate]?.count = periodic.duplicates
            found[.periodicMissed]?.count = periodic.missed
        }
        if let liveness = livenessBreach(summary, scenario: scenario) { found[.liveness] = liveness }
        for pipeline in summary.pipelines ?? [] where pipeline.stuck > 0 {
            for example in pipeline.stuckExamples {
                note(.stuckPipeline, 0, example, String(example.prefix { $0 != " " }))
            }
            found[.stuckPipeline]?.count += pipeline.stuck
        }
        return Invariant.allCases.compactMap { invariant in
            guard let entry = found[invariant] else { return nil }
            let listsAll: Set<Invariant> = [.duplicateNotAllowed, .liveness, .periodicDuplicate, .periodicMissed]
            let detail = entry.count > 1 && !listsAll.contains(invariant)
                ? "\(entry.count)×, first: \(entry.detail)" : entry.detail
            return Breach(invariant: invariant, detail: detail, subjects: entry.subjects)
        }
    }

    /// Liveness: the run stops as soon as every task has ended, so it must end (with nothing left
    /// over) by the deadline: the bound after the load stopped and the last fault window closed.
    /// A run whose drain period ends before that deadline cannot show an explicit bound broken, so
    /// a backlog left at its end counts only once the deadline is reached; without an explicit
    /// bound the deadline is the end of the drain period itself.
    static func livenessBreach(_ summary: RunSummary, scenario: Scenario) -> (Int, String, [String])? {
        let bound = scenario.drainBound
        let quiet = scenario.quietFrom
        let runEnd = scenario.duration + scenario.drain
        let deadline = scenario.invariants.drainWithin == nil ? min(quiet + bound, runEnd) : quiet + bound
        let end = TimeSpan.seconds(summary.virtualDurationSeconds)
        let drainedAfter = end - quiet
        let deadlineText = scenario.invariants.drainWithin == nil
            ? "\(StoryTime.format(span: deadline)), the end of the drain period (no invariants.drain_within)"
            : "\(StoryTime.format(span: deadline)) (drain_within \(DurationText.format(bound)) after the load, the longest countdown and the faults ended at \(StoryTime.format(span: quiet)))"
        let left = summary.leftover
        let subjects = Array(left.examples.prefix(subjectsKept))
        if left.total > 0 {
            guard end >= deadline else { return nil }
            var parts: [String] = []
            for (count, place) in [(left.queued, "queued"), (left.held, "held for eta"), (left.unacked, "in unacked"), (left.running, "running")] where count > 0 {
                parts.append("\(count) \(place)")
            }
            return (left.total, "\(left.total) tasks still in the backlog when the run ended at "
                    + "\(StoryTime.format(span: end)) (\(parts.joined(separator: ", "))); deadline \(deadlineText)", subjects)
        }
        guard end > deadline else { return nil }
        return (1, "the backlog drained at \(StoryTime.format(span: end)), \(DurationText.format(drainedAfter)) after it could start to; "
                + "deadline \(deadlineText)", subjects)
    }
}
