import Reports
import Scenarios
import Simulation

/// `lovage calibrate --check`: the calibrated scenario simulated over several seeds, its figures
/// set against the recorded ones, with a verdict per figure and the reasons it can find where the
/// model does not reproduce the recording.
public struct CalibrationCheck: Sendable {
    /// One figure of one task name: the recorded value and the simulated ones over the seeds.
    public struct Figure: Sendable {
        public var name: String
        public var recorded: Double?
        public var simulated: [Double]
        /// Relative tolerance, and the absolute floor below which a difference is not counted.
        public var tolerance: Double
        public var floor: Double
        public var mean: Double? { simulated.isEmpty ? nil : simulated.reduce(0, +) / Double(simulated.count) }
        /// Within the tolerance, or within the seeds' 99% prediction interval.
        public var within: Bool? {
            guard let recorded, let mean else { return nil }
            let difference = abs(mean - recorded)
            return difference <= floor || difference <= tolerance * abs(recorded) || difference <= (seedInterval ?? 0)
        }
        /// The half width of the 99% prediction interval of one more run from the seeds' values,
        /// `t(0.995, n − 1) × s × √(1 + 1/n)`; nil below three seeds. A recording is one run: where
        /// the model's own seeds scatter a figure wider than its tolerance (the median of a mix of
        /// tasks whose durations leave a gap at the middle moves by ±10% from seed to seed), a
        /// recording can place that figure no closer than this, and a difference inside it is no
        /// evidence against the model.
        public var seedInterval: Double? {
            let n = simulated.count
            guard n >= 3, let mean else { return nil }
            let variance = simulated.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
            return StudentT.twoSided99(degreesOfFreedom: n - 1) * variance.squareRoot() * (1 + 1 / Double(n)).squareRoot()
        }
    }

    public struct Row: Sendable {
        public var task: String
        public var figures: [Figure]
    }

    public var seeds: [UInt64]
    public var rows: [Row]
    public var traceHashes: [String]
    /// Plain sentences on what does not match and why, when that can be told.
    public var findings: [String]

    /// Tolerances of the issue's acceptance (throughput 5%, queue-wait p50 15%, p99 25%, run-time
    /// p50 10%); a wait within 2 ms, or a run time within 1 ms, counts as equal. A figure the seeds
    /// scatter wider than this is judged by their prediction interval instead (`seedInterval`).
    static let tolerances: [(String, Double, Double)] = [
        ("throughput/s", 0.05, 0), ("queue wait p50", 0.15, 0.002), ("queue wait p90", 0.20, 0.002),
        ("queue wait p99", 0.25, 0.002), ("run time p50", 0.10, 0.001), ("run time p99", 0.25, 0.001),
        ("retried", 0.25, 2), ("busy slots", 0.10, 0.02),
    ]

    public static func run(scenario: Scenario, calibration: Calibration, seeds: [UInt64]) throws -> CalibrationCheck {
        var simulated: [[CheckFigures]] = []
        var hashes: [String] = []
        for seed in seeds {
            let result = try Simulator(scenario: scenario, options: SimulationOptions(seed: seed, succeededRunTimes: true)).run()
            simulated.append(figures(of: result.summary, taskOverhead: taskOverhead(scenario)))
            hashes.append(result.summary.traceHash)
        }
        let recorded = calibration.figures
        var rows: [Row] = []
        for figures in recorded {
            let mine = simulated.compactMap { run in run.first { $0.task == figures.task } }
            func values(_ pick: (CheckFigures) -> Double?) -> [Double] { mine.compactMap(pick) }
            let picks: [(CheckFigures) -> Double?] = [
                { $0.throughput }, { $0.queueWaitP50 }, { $0.queueWaitP90 }, { $0.queueWaitP99 },
                { $0.runTimeP50 }, { $0.runTimeP99 }, { Double($0.retried) }, { $0.busySlots },
            ]
            let row = Row(task: figures.task, figures: zip(tolerances, picks).map { tolerance, pick in
                Figure(name: tolerance.0, recorded: pick(figures), simulated: values(pick), tolerance: tolerance.1, floor: tolerance.2)
            })
            rows.append(row)
        }
        return CalibrationCheck(seeds: seeds, rows: rows, traceHashes: hashes,
                                findings: findings(rows: rows, calibration: calibration))
    }

    /// The slot time after each body, seconds (the mean over the fleet's groups, by workers).
    static func taskOverhead(_ scenario: Scenario) -> Double {
        let workers = scenario.fleet.reduce(0) { $0 + $1.count }
        guard workers > 0 else { return 0 }
        return scenario.fleet.reduce(0.0) { $0 + $1.taskOverhead.seconds * Double($1.count) } / Double(workers)
    }

    /// A simulated run's figures in the recorded figures' terms. Celery's `runtime` is the body
    /// with its result's store, and only a success has one (task-succeeded carries it; failed and
    /// retried attempts' events do not), so the run times are the successes' (`succeededRunTime`):
    /// the summary's own holds the retried attempts too, which pulls the median of a mix of task
    /// types down. The simulator's run time also holds the slot's `task_overhead` after the body
    /// (the ack, taking the next message), which is taken off here. Busy slots count every attempt.
    static func figures(of summary: RunSummary, taskOverhead: Double) -> [CheckFigures] {
        let finishedAll = summary.counts.succeeded + summary.counts.failed
        let span = summary.throughput > 0 ? Double(finishedAll) / summary.throughput : max(summary.virtualDurationSeconds, 1e-9)
        func seconds(_ micros: UInt64) -> Double { Double(micros) / 1e6 }
        func run(_ micros: UInt64) -> Double { max(0, Double(micros) / 1e6 - taskOverhead) }
        var out = [CheckFigures(
            task: CheckFigures.overall, throughput: summary.throughput,
            queueWaitP50: seconds(summary.queueWait.p50), queueWaitP90: seconds(summary.queueWait.p90), queueWaitP99: seconds(summary.queueWait.p99),
            runTimeP50: run((summary.succeededRunTime ?? summary.runTime).p50),
            runTimeP99: run((summary.succeededRunTime ?? summary.runTime).p99), retried: summary.counts.retried,
            busySlots: max(0, summary.runTime.mean / 1e6 - taskOverhead) * Double(finishedAll + summary.counts.retried) / span)]
        for task in summary.byTask {
            let finished = task.succeeded + task.failed
            out.append(CheckFigures(
                task: task.task, throughput: Double(finished) / span,
                queueWaitP50: seconds(task.queueWait.p50), queueWaitP90: seconds(task.queueWait.p90), queueWaitP99: seconds(task.queueWait.p99),
                runTimeP50: run((task.succeededRunTime ?? task.runTime).p50),
                runTimeP99: run((task.succeededRunTime ?? task.runTime).p99), retried: task.retried,
                busySlots: max(0, task.runTime.mean / 1e6 - taskOverhead) * Double(finished + task.retried) / span))
        }
        return out
    }

    /// Why a figure is off, where the recording shows it.
    static func findings(rows: [Row], calibration: Calibration) -> [String] {
        var out: [String] = []
        for row in rows {
            for figure in row.figures where figure.within == false {
                let interval = figure.seedInterval.map { ", and outside the seeds' 99% interval ±" + format($0, figure.name) } ?? ""
                out.append("\(row.task): \(figure.name) recorded \(format(figure.recorded!, figure.name)), simulated \(format(figure.mean!, figure.name)) (outside ±\(Int(figure.tolerance * 100))%\(interval))")
            }
        }
        // A task whose bodies ran much slower in one half of the recording than in the other: one
        // distribution for the whole recording cannot reproduce both halves.
        let middle = (calibration.origin + calibration.end) / 2
        for model in calibration.tasks {
            let runs = calibration.attempts.filter { $0.name == model.name && $0.outcome != .unfinished }
            let early = runs.filter { ($0.startedAt ?? 0) < middle }.compactMap(\.runtime).sorted()
            let late = runs.filter { ($0.startedAt ?? 0) >= middle }.compactMap(\.runtime).sorted()
            guard early.count >= 20, late.count >= 20, let a = Quantiles.median(early), let b = Quantiles.median(late), min(a, b) > 0 else { continue }
            let ratio = max(a, b) / min(a, b)
            if ratio >= 1.5 {
                out.append("\(model.name) ran " + String(format: "%.1f×", ratio) + " slower in the \(b > a ? "second" : "first") half of the recording "
                           + "(median " + format(a, "run") + " then " + format(b, "run") + "): a dependency that slowed down mid-recording? "
                           + "The model uses one distribution for the whole recording; calibrate a shorter recording, or add a slow_tasks fault")
            }
        }
        if let overall = rows.first(where: { $0.task == CheckFigures.overall }),
           let wait = overall.figures.first(where: { $0.name == "queue wait p50" }), wait.within == false,
           let recorded = wait.recorded, let simulated = wait.mean, recorded > simulated {
            out.append("the recorded waits are longer than the model's: the fleet spends time per task that the scenario does not model "
                       + "(measure this host with `lovage calibrate --host -b URL` and merge it with --host-from)")
        }
        return out
    }

    /// A figure as the table shows it: a rate, a count, slots, or a time in s, ms or µs.
    public static func format(_ value: Double, _ name: String) -> String {
        if name.hasPrefix("throughput") { return String(format: "%.2f/s", value) }
        if name == "retried" { return String(format: "%.0f", value) }
        if name == "busy slots" { return String(format: "%.2f", value) }
        if value >= 1 { return String(format: "%.2f s", value) }
        if value >= 0.001 { return String(format: "%.1f ms", value * 1000) }
        return String(format: "%.0f µs", value * 1e6)
    }
}
