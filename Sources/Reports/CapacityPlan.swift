import Foundation
import Scenarios

/// A capacity-planning sweep: one simulated run per configuration, each checked against the
/// SLOs, and the cheapest configuration that meets them all.
///
/// Cost is the number of worker processes' slots the configuration pays for (workers ×
/// concurrency, or × the in-worker autoscaler's maximum, since a pod is sized for it), the figure
/// a fleet's size is bought in; a group under a fleet scaler pays for the workers it ran on
/// average. Ties go to fewer workers, then to the lower queue-wait p99.
public struct CapacityPlan: Sendable {
    public struct Row: Sendable {
        public var settings: [ScenarioOverride]
        /// Slots paid for (fractional when a fleet scaler varies the workers over the run).
        public var slots: Double
        public var workers: Double
        public var summary: RunSummary
        public var slo: [(assertion: Assertion, value: Double?, holds: Bool)]
        /// What M/M/c predicts for this configuration, when the scenario is an M/M/c queue.
        public var erlang: ErlangC?
        /// Fixed wait the model adds to every task (twice the broker latency: publish and delivery).
        public var handOffSeconds: Double
        public var meetsSLO: Bool { slo.allSatisfy(\.holds) }

        public init(settings: [ScenarioOverride], slots: Double, workers: Double, summary: RunSummary,
                    slo: [(assertion: Assertion, value: Double?, holds: Bool)], erlang: ErlangC?, handOffSeconds: Double) {
            self.settings = settings
            self.slots = slots
            self.workers = workers
            self.summary = summary
            self.slo = slo
            self.erlang = erlang
            self.handOffSeconds = handOffSeconds
        }

        /// The paid slots as tables show them: whole, or to one decimal under a fleet scaler.
        public var slotsText: String {
            slots == slots.rounded() ? String(Int(slots)) : String(format: "%.1f", slots)
        }

        /// Busy slot-time over paid slot-time: executions × mean run time ÷ (slots × run length).
        public var utilisation: Double {
            let busy = Double(summary.counts.executions) * summary.runTime.mean / 1_000_000
            let paid = Double(slots) * summary.virtualDurationSeconds
            return paid > 0 ? busy / paid : 0
        }
    }

    public var rows: [Row]

    public init(rows: [Row]) { self.rows = rows }

    /// The index of the cheapest row that meets every SLO, if any.
    public var cheapest: Int? {
        rows.indices.filter { rows[$0].meetsSLO }.min { a, b in
            (rows[a].slots, rows[a].workers, rows[a].summary.queueWait.p99, a)
                < (rows[b].slots, rows[b].workers, rows[b].summary.queueWait.p99, b)
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

    /// The M/M/c model of a scenario when it is one: Poisson arrivals at one constant rate, every
    /// task type's body exponential with the same mean, never failing, no countdown, no memory
    /// write priced by `host.memory_write`, a fixed pool (no autoscaler), no faults, one
    /// task_overhead and one child_handoff for every group. Nil otherwise.
    public static func erlangModel(_ scenario: Scenario) -> ErlangC? {
        guard scenario.load.arrival == .poisson, scenario.load.bursts.isEmpty, scenario.faults.isEmpty,
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
