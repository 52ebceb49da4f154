import Foundation
import WorkerCore

/// The cost of waking an idle host, which a real hand-off pays and a constant latency does not
/// model: on a machine whose CPUs sleep when there is nothing to do (deeper the longer they
/// sleep; a virtual machine's vCPUs halt), the wake-ups of a hand-off — Redis, the worker's
/// fetch, the child — take longer after a quiet spell. Measured here, a real task's hand-off
/// went from 0.45 ms at 800 tasks/s to 0.84 ms at 20 tasks/s (docs/fidelity.md). Not time-scaled:
/// it belongs to the host, like `latency`.
public struct IdleWake: Sendable, Equatable {
    /// The most a publish after a long quiet spell pays.
    public var max: TimeSpan
    /// How fast the cost approaches `max` with the quiet time before the publish.
    public var timeConstant: TimeSpan

    public init(max: TimeSpan, timeConstant: TimeSpan) {
        self.max = max
        self.timeConstant = timeConstant
    }

    /// What a publish `gap` after the previous one pays, in whole microseconds.
    public func cost(afterGap gap: TimeSpan) -> TimeSpan {
        guard gap.microseconds > 0, timeConstant.microseconds > 0 else { return gap.microseconds > 0 ? max : .zero }
        let share = 1 - exp(-Double(gap.microseconds) / Double(timeConstant.microseconds))
        return TimeSpan(microseconds: Int64((Double(max.microseconds) * share).rounded()))
    }

    /// The median cost under Poisson publishes at `ratePerSecond` (the median gap is ln 2 / rate):
    /// what the Erlang C prediction adds to the hand-off.
    public func medianCost(ratePerSecond: Double) -> TimeSpan {
        guard ratePerSecond > 0 else { return max }
        return cost(afterGap: TimeSpan(microseconds: Int64((log(2) / ratePerSecond * 1_000_000).rounded())))
    }
}
