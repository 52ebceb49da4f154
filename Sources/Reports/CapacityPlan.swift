import Foundation
import Scenarios

/// A capacity-planning sweep: every configuration simulated over several seeds, each SLO judged
/// by the confidence rule over them (`ConfidenceRule`), and the cheapest configuration that meets
/// them all.
///
/// Cost is the number of worker processes' slots the configuration pays for (workers ×
/// concurrency, or × the in-worker autoscaler's maximum, since a pod is sized for it), the figure
/// a fleet's size is bought in; a group under a fleet scaler pays for the workers it ran on
/// average (the median over seeds). Ties go to fewer workers, then to the lower median queue-wait
/// p99, then to the earlier configuration.
public struct CapacityPlan: Sendable {
    /// One SLO over one configuration's seeds.
    public struct Outcome: Sendable {
        public var assertion: Assertion
        public var spread: SeedSpread
        /// Held in at least the rule's share of the planned seeds.
        public var holds: Bool
        /// Headroom of the median over seeds to the threshold (see `SeedSpread.margin`).
        public var medianMargin: Double? { SeedSpread.margin(spread.median, to: assertion) }
        /// Headroom of the value the confidence rule judges to the threshold.
        public var confidenceMargin: Double? { SeedSpread.margin(spread.confidenceValue, to: assertion) }
    }

    public struct Row: Sendable {
        public var settings: [ScenarioOverride]
        /// The seeds planned for this configuration, in the order they run.
        public var seeds: [UInt64]
        /// The summaries of the seeds run, in seed order: all of `seeds`, or a prefix when the
        /// configuration was stopped early.
        public var summaries: [RunSummary]
        /// Slots paid for, the median over seeds (fractional when a fleet scaler varies the workers).
        public var slots: Double
        public var workers: Double
        public var slo: [Outcome]
        /// What M/M/c predicts for this configuration, when the scenario is an M/M/c queue.
        public var erlang: ErlangC?
        /// Fixed wait the model adds to every task (twice the broker latency: publish and delivery).
        public var handOffSeconds: Double
        /// Seeds run on which every SLO held at once. A configuration meets the SLOs when this
        /// reaches the rule's share: judging each SLO on its own would let a configuration pass two
        /// SLOs that failed on different seeds, which a run of it would not.
        public var allSLOPasses: Int
        public var meetsSLO: Bool { rule.holds(passes: allSLOPasses) }
        public var rule: ConfidenceRule
        /// Seeds left unsimulated because an SLO had already failed on more seeds than the rule allows.
        public var stoppedEarly: Bool { summaries.count < seeds.count }

        /// - Parameter paid: the workers and slots each seed's run paid for (`paidFleet`), in seed order.
        public init(settings: [ScenarioOverride], seeds: [UInt64], summaries: [RunSummary], paid: [(workers: Double, slots: Double)],
                    objectives: [Assertion], rule: ConfidenceRule, erlang: ErlangC?, handOffSeconds: Double) {
            self.settings = settings
            self.seeds = seeds
            self.summaries = summaries
            slots = SeedSpread.quantile(paid.map(\.slots).sorted(), 0.5) ?? 0
            workers = SeedSpread.quantile(paid.map(\.workers).sorted(), 0.5) ?? 0
            slo = objectives.map { assertion in
                let spread = SeedSpread(assertion: assertion, values: summaries.map { $0.metric(assertion.metric) }, rule: rule)
                return Outcome(assertion: assertion, spread: spread, holds: rule.holds(passes: spread.passes))
            }
            allSLOPasses = summaries.filter { Self.meetsEvery(objectives, $0) }.count
            self.rule = rule
            self.erlang = erlang
            self.handOffSeconds = handOffSeconds
            utilisation = SeedSpread.quantile(zip(summaries, paid).map { Self.utilisation($0, slots: $1.slots) }.sorted(), 0.5) ?? 0
        }

        /// Whether one seed's run met every objective (a missing figure misses).
        public static func meetsEvery(_ objectives: [Assertion], _ summary: RunSummary) -> Bool {
            objectives.allSatisfy { assertion in
                summary.metric(assertion.metric).map { assertion.comparison.holds($0, assertion.threshold) } ?? false
            }
        }

        /// The median over the seeds run of one figure of the summary.
        public func median(_ figure: (RunSummary) -> Double) -> Double {
            SeedSpread.quantile(summaries.map(figure).sorted(), 0.5) ?? 0
        }

        /// The paid slots as tables show them: whole, or to one decimal under a fleet scaler.
        public var slotsText: String {
            slots == slots.rounded() ? String(Int(slots)) : String(format: "%.1f", slots)
        }

        /// The settings as tables show them.
        public var settingsText: String { settings.map(\.description).joined(separator: " ") }

        /// Busy slot-time over paid slot-time, the median over seeds.
        public var utilisation: Double

        /// Busy slot-time over paid slot-time: executions × mean run time ÷ (slots × run length).
        public static func utilisation(_ summary: RunSummary, slots: Double) -> Double {
            let busy = Double(summary.counts.executions) * summary.runTime.mean / 1_000_000
            let paid = slots * summary.virtualDurationSeconds
            return paid > 0 ? busy / paid : 0
        }
    }

    public var rows: [Row]
    public var rule: ConfidenceRule

    public init(rows: [Row], rule: ConfidenceRule) { self.rows = rows; self.rule = rule }

    /// The index of the cheapest row that meets every SLO, if any.
    public var cheapest: Int? {
        let p99 = rows.map { $0.median { Double($0.queueWait.p99) } }
        return rows.indices.filter { rows[$0].meetsSLO }.min { a, b in
            (rows[a].slots, rows[a].workers, p99[a], a) < (rows[b].slots, rows[b].workers, p99[b], b)
        }
    }

    /// The workers and slots a configuration pays for: a fixed group its count, a group under a
    /// fleet scaler the workers the run had alive on average (the summary's mean over every
    /// sample, less the fixed groups' workers; exact with one scaled group, which is the usual
    /// shape, and an even share of it when several are scaled).
    public static func paidFleet(_ scenario: Scenario, summary: RunSummary) -> (workers: Double, slots: Double) {
        func slotsPerWorker(_ group: WorkerGroupSpec) -> Double { Double(group.autoscale?.maxConcurrency ?? group.concurrency) }
        let fixed = scenario.fleet.filter { $0.scaler == nil }
        let scaled = scenario.fleet.filter { $0.scaler != nil }
        let fixedWorkers = Double(fixed.map(\.count).reduce(0, +))
        let fixedSlots = fixed.map { Double($0.count) * slotsPerWorker($0) }.reduce(0, +)
        guard !scaled.isEmpty else { return (fixedWorkers, fixedSlots) }
        let scaledWorkers = max(0, (summary.meanWorkers ?? Double(scaled.map(\.count).reduce(0, +)) + fixedWorkers) - fixedWorkers)
        let meanSlotsPerWorker = scaled.map(slotsPerWorker).reduce(0, +) / Double(scaled.count)
        return (fixedWorkers + scaledWorkers, fixedSlots + scaledWorkers * meanSlotsPerWorker)
    }

    /// The M/M/c model of a scenario when it is one: Poisson arrivals at one constant rate (not a trace), every
    /// task type's body exponential with the same mean, never failing, no countdown, no memory
    /// write priced by `host.memory_write`, a fixed pool (no autoscaler), no faults, one
    /// task_overhead and one child_handoff for every group. Nil otherwise.
    public static func erlangModel(_ scenario: Scenario) -> ErlangC? {
        guard scenario.load.arrival == .poisson, scenario.load.bursts.isEmpty, scenario.load.trace == nil, scenario.faults.isEmpty,
              let phase = scenario.load.phases.first, scenario.load.phases.allSatisfy({ $0.rateFrom == phase.rateFrom && $0.rateTo == phase.rateFrom }),
              scenario.fleet.allSatisfy({ $0.autoscale == nil && $0.scaler == nil }) else { return nil }
        var mean: Double?
        for spec in scenario.tasks {
            guard case .exponential(let m) = spec.body.duration, spec.body.failureProbability == 0, spec.body.crashProbability == 0,
                  spec.body.hangProbability == 0, spec.countdown == nil,
                  // Writing kept memory costs what the host's free backed memory makes it: not one service time.
                  spec.body.memoryRetainedPerCallBytes == 0 || scenario.host?.memoryWrite == nil else { return nil }
            if let mean, mean != m.seconds { return nil }
            mean = m.seconds
        }
        // A slot's fixed per-task costs (the hand-off to the child before the body, the overhead
        // after it) lengthen every service; with them the service time is an exponential plus a
        // constant, which M/M/c approximates by the larger mean (close while they are small
        // against the body).
        guard let mean, let first = scenario.fleet.first,
              scenario.fleet.allSatisfy({ $0.taskOverhead == first.taskOverhead && $0.childHandoff == first.childHandoff })
        else { return nil }
        let servers = scenario.fleet.map { $0.count * $0.concurrency }.reduce(0, +)
        return ErlangC(arrivalRatePerSecond: phase.rateFrom,
                       meanServiceSeconds: mean + first.taskOverhead.seconds + first.childHandoff.seconds, servers: servers)
    }

    /// What a task waits on top of the queueing delay, in the model: a broker latency each way
    /// (the publish and the fetch), the hand-off to a child, and the median idle wake-up at the
    /// first phase's rate. Shown with the Erlang C prediction (whose scenarios are Poisson).
    public static func modelledHandOffSeconds(_ scenario: Scenario) -> Double {
        let wake = scenario.broker.idleWake.map { $0.medianCost(ratePerSecond: scenario.load.phases.first?.rateFrom ?? 0).seconds } ?? 0
        return 2 * scenario.broker.latency.seconds + (scenario.fleet.first?.childHandoff.seconds ?? 0) + wake
    }
}
