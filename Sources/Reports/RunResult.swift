/// What a run produced, simulated (`Simulator.run`) or real (`RealRunner.run`): the summary, the
/// scenario's assertions checked against it, and what was left over. `lovage simulate`, `run`,
/// `fidelity`, `explore` and `shrink` read the same fields whichever driver made it.
public struct RunResult: Sendable {
    public var summary: RunSummary
    public var assertionOutcomes: [AssertionOutcome]
    /// Plain lines describing what is still queued, held or unacknowledged at the end.
    public var leftoverLines: [String]
    /// The simulator's event count (its speed figure); 0 for a real run, which has no event queue.
    public var eventsProcessed: Int
    /// Each planned task's queue wait in µs, by its place in the load (`ArrivalPlan`: the n-th
    /// publish is t<n+1> in a trace), for the tasks that ended; -1 for the others. Empty unless
    /// asked for (`SimulationOptions.recordTaskWaits`; a real run always has it). `lovage
    /// fidelity` compares the two runs over the tasks both ran.
    public var queueWaitByPlanIndexMicros: [Int64] = []

    public var assertionsHold: Bool { assertionOutcomes.allSatisfy(\.holds) }

    public init(summary: RunSummary, assertionOutcomes: [AssertionOutcome], leftoverLines: [String], eventsProcessed: Int) {
        self.summary = summary
        self.assertionOutcomes = assertionOutcomes
        self.leftoverLines = leftoverLines
        self.eventsProcessed = eventsProcessed
    }
}
