import CeleryWire
import FleetRecording
import Scenarios
import WorkerCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a `Calibration` as a scenario file, each value with a comment saying where it came from.
public enum ScenarioText {
    public enum LoadForm: String, Sendable, CaseIterable {
        /// `load.trace`: every recorded publish at its time (exact; scale it with `load_factor=F`).
        case trace
        /// Phases of `--window` with their own mix, and bursts kept as bursts (a smoothed load).
        case phases
    }

    public struct Options: Sendable {
        public var name: String
        public var source: String
        public var loadForm: LoadForm = .trace
        /// The trace file's name as the scenario refers to it (next to the scenario file).
        public var traceFile: String
        /// `host:`/`broker:`/cost lines from `--host-from`, already YAML (merged as written).
        public var hostSettings: HostSettings?
        public init(name: String, source: String, traceFile: String) {
            self.name = name; self.source = source; self.traceFile = traceFile
        }
    }

    public static func yaml(_ c: Calibration, _ options: Options) -> String {
        var out: [String] = []
        let header = c.recording.header
        let tasks = c.attempts.filter { $0.retries == 0 }.count
        out.append("# Calibrated by `lovage calibrate \(options.source)` from a recording of \(header.broker)")
        out.append("# (\(seconds(c.seconds)) s, \(c.fleet.groups.reduce(0) { $0 + $1.nodes.count }) node(s), \(tasks) tasks, \(c.recording.events.count) events).")
        let methods = c.publish.byMethod.map { "\($0.0.rawValue) for \($0.1)" }.joined(separator: ", ")
        out.append("# Publish times: \(methods) of \(c.attempts.count) deliveries.")
        for note in c.notes { out.append("# note: \(note)") }
        for (task, reason) in c.leftOut { out.append("# left out: \(task): \(reason)") }
        out.append("name: \(options.name)")
        out.append("description: >-")
        out.append("  The workload recorded from \(header.broker) (\(seconds(c.seconds)) s): its fleet, task types and publishes.")
        out.append("seed: 1")
        out.append("duration: \(ScenarioTextDuration.format(max(1, c.seconds.rounded(.up))))    # the recording's length")
        out.append("drain: 10m")
        out.append(contentsOf: hostLines(c, options))
        out.append(contentsOf: fleetLines(c, options))
        let queues = Set(c.fleet.groups.flatMap(\.queues).isEmpty ? fallbackQueues(c) : c.fleet.groups.flatMap(\.queues))
        let unconsumed = Array(Set(c.tasks.map(\.queue)).subtracting(queues)).sorted()
        if !unconsumed.isEmpty {
            out.append("unconsumed_queues: [\(unconsumed.joined(separator: ", "))]   # published to, but no surveyed node consumed them")
        }
        out.append("tasks:")
        for model in c.tasks { out.append(contentsOf: taskLines(model, c)) }
        out.append(contentsOf: loadLines(c, options))
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: Sections

    static func hostLines(_ c: Calibration, _ options: Options) -> [String] {
        var out: [String] = []
        if let host = options.hostSettings {
            out.append("host:                             # from \(host.source)")
            out.append("  cores: \(host.cores)")
            out.append("  cpu_per_task: \(ScenarioTextDuration.format(host.cpuPerTask))")
        }
        var broker: [String] = []
        if let latency = options.hostSettings?.brokerLatency {
            broker.append("  latency: \(ScenarioTextDuration.format(latency))   # measured by `lovage calibrate --host` (\(options.hostSettings!.source))")
        } else if let latency = c.host.brokerLatency {
            broker.append("  latency: \(ScenarioTextDuration.format(latency))   # \(c.host.note)")
        }
        if let wake = options.hostSettings?.idleWake {
            broker.append("  idle_wake: {max: \(ScenarioTextDuration.format(wake.max)), time_constant: \(ScenarioTextDuration.format(wake.timeConstant))}   # \(options.hostSettings!.source)")
        }
        let steps = c.recording.header.prioritySteps
        if steps != PriorityQueueKeys.defaultSteps { broker.append("  priority_steps: [\(steps.map(String.init).joined(separator: ", "))]") }
        if !broker.isEmpty { out.append("broker:"); out.append(contentsOf: broker) }
        return out
    }

    static func fallbackQueues(_ c: Calibration) -> [String] {
        c.recording.header.queues.isEmpty ? ["celery"] : c.recording.header.queues
    }

    static func fleetLines(_ c: Calibration, _ options: Options) -> [String] {
        var out = ["fleet:"]
        var groups = c.fleet.groups
        if groups.isEmpty {
            // No node answered the survey: one group of the nodes seen in events, each as busy as
            // it was seen to be at its busiest.
            let nodes = Array(Set(c.attempts.map(\.node))).sorted()
            let peak = nodes.map { peakConcurrency(of: $0, c.attempts) }.max() ?? 1
            groups = [FleetModel.Group(nodes: nodes, queues: fallbackQueues(c), concurrency: max(1, peak), autoscale: nil,
                                       prefetchMultiplier: 4, acksLate: false, timeLimit: nil, softTimeLimit: nil, maxTasksPerChild: nil,
                                       pool: "prefork", sources: ["no node answered the survey: concurrency is the most tasks seen running at once on a node; Celery's defaults otherwise"])]
        }
        for (index, group) in groups.enumerated() {
            out.append("  - name: group-\(index + 1)               # \(group.nodes.joined(separator: ", "))")
            out.append("    count: \(group.nodes.count)")
            if let scale = group.autoscale {
                out.append("    autoscale: {max: \(scale.max), min: \(scale.min)}   # stats.autoscaler")
            } else {
                out.append("    concurrency: \(group.concurrency)   # \(group.sources.first { $0.hasPrefix("concurrency") } ?? "")")
            }
            out.append("    prefetch_multiplier: \(group.prefetchMultiplier)   # " + (group.sources.first { $0.hasPrefix("prefetch") } ?? "conf.worker_prefetch_multiplier, else Celery's default (4)"))
            out.append("    queues: [\(group.queues.joined(separator: ", "))]   # active_queues")
            out.append("    acks_late: \(group.acksLate)   # " + (group.sources.first { $0.hasPrefix("acks_late") } ?? ""))
            if let limit = group.timeLimit { out.append("    time_limit: \(ScenarioTextDuration.format(limit))   # conf.task_time_limit / stats.pool.timeouts") }
            if let limit = group.softTimeLimit { out.append("    soft_time_limit: \(ScenarioTextDuration.format(limit))") }
            if let tasks = group.maxTasksPerChild { out.append("    max_tasks_per_child: \(tasks)   # conf.worker_max_tasks_per_child") }
            if group.pool != "prefork" { out.append("    # pool: \(group.pool) (the simulator models a prefork pool's slots)") }
            if let handoff = options.hostSettings?.childHandoff {
                out.append("    child_handoff: \(ScenarioTextDuration.format(handoff))   # `lovage calibrate --host` (\(options.hostSettings!.source))")
            } else if let handoff = c.host.childHandoff {
                out.append("    child_handoff: \(ScenarioTextDuration.format(handoff))   # " + c.host.handoffNote)
            }
            if let overhead = options.hostSettings?.taskOverhead {
                out.append("    task_overhead: \(ScenarioTextDuration.format(overhead))   # `lovage calibrate --host` (\(options.hostSettings!.source))")
            } else if let overhead = c.host.slotTurnaround {
                out.append("    task_overhead: \(ScenarioTextDuration.format(overhead))   # \(c.host.turnaroundNote)")
            }
        }
        return out
    }

    static func taskLines(_ m: TaskModel, _ c: Calibration) -> [String] {
        var out = ["  - name: \(m.name)", "    queue: \(m.queue)   # where its messages were delivered from"]
        if let priority = m.priority, priority != 0 { out.append("    priority: \(priority)   # delivery_info.priority of its reserved messages") }
        switch m.duration {
        case .empirical(let points, let from):
            let values = points.map { ScenarioTextDuration.format($0) }
            out.append("    duration:   # empirical: \(from) recorded run times" + (from > points.count ? ", as \(points.count) quantile points" : ""))
            out.append("      empirical: [" + values.joined(separator: ", ") + "]")
        case .lognormal(let median, let p99, let from):
            out.append("    duration: {lognormal: {median: \(ScenarioTextDuration.format(median)), p99: \(ScenarioTextDuration.format(max(p99, median * 1.001)))}}"
                       + "   # fitted to \(from) run times (too few for an empirical distribution)")
        case .constant(let value, let from):
            out.append("    duration: \(ScenarioTextDuration.format(value))   # all \(from) run times were equal")
        case .unknown:
            break
        }
        if m.failureProbability > 0 {
            let error = (m.retryExceptions.first?.type ?? m.exceptions.first?.type) ?? "Exception"
            let raised = m.retried + m.exceptions.reduce(0) { $0 + $1.count }
            out.append("    failure: {probability: \(decimal(m.failureProbability)), error: \(error)}   # \(raised) of \(m.attempts) attempts raised"
                       + (m.exceptions.isEmpty ? "" : "; failed for good: " + m.exceptions.map { "\($0.type) ×\($0.count)" }.joined(separator: ", ")))
        }
        if m.retried > 0 {
            let error = m.retryExceptions.first?.type ?? "Exception"
            let first = (m.countdowns.first ?? []).sorted()
            let delay = first.isEmpty ? 180.0 : first[first.count / 2]
            var retry = "    retry: {max_retries: \(max(1, m.maxRetriesSeen)), autoretry_for: [\(error)], default_retry_delay: \(ScenarioTextDuration.format(delay))}"
            retry += "   # \(m.retried) retries, at most \(m.maxRetriesSeen) for one task; median countdown " + seconds(delay) + " s"
            out.append(retry)
            if m.countdowns.count > 1, let second = m.countdowns[1].sorted().dropFirst(m.countdowns[1].count / 2).first, second > delay * 1.5 {
                out.append("    # the countdown grew with each retry (second: " + seconds(second) + " s): the task may use retry_backoff; set backoff: to match")
            }
        }
        if let bytes = m.resultBytes {
            out.append("    result_size: \(bytes)B   # median length of its results' repr (recorded with --keep-args)")
        }
        let children = c.chains.filter { $0.parent == m.name }.map(\.child)
        if !children.isEmpty { out.append("    then: [\(children.joined(separator: ", "))]   # its successes published these (parent_id)") }
        if let group = c.fanOuts.first(where: { $0.parent == m.name }) {
            let counts = group.counts
            let points = counts.count > 200 ? (0..<200).map { counts[min(counts.count - 1, Int((Double($0) + 0.5) * Double(counts.count) / 200))] } : counts
            out.append("    fan_out:   # each success published a group of these (parent_id): \(counts.count) groups, "
                       + "\(counts.first!)–\(counts.last!) members")
            out.append("      task: \(group.child)")
            out.append("      count: {empirical: [\(points.map(String.init).joined(separator: ", "))]}")
        }
        return out
    }

    static func loadLines(_ c: Calibration, _ options: Options) -> [String] {
        var out = ["load:"]
        let published = c.load.arrivals.count
        switch options.loadForm {
        case .trace:
            out.append("  trace: \(options.traceFile)   # \(published) publishes at their recorded times; scale with load_factor=F")
            if !c.chains.isEmpty || !c.fanOuts.isEmpty {
                out.append("  # chained and grouped tasks (then:, fan_out:) are published by their parents, not by the trace")
            }
        case .phases:
            out.append("  arrival: poisson")
            out.append("  phases:   # one per window: its rate and the mix of task names in it")
            for window in c.load.windows {
                let rate = Double(window.total) / max(window.length, 1e-9)
                let mix = window.counts.filter { $0.count > 0 }.map { "\($0.task): \($0.count)" }.joined(separator: ", ")
                if window.total == 0 || mix.isEmpty {
                    out.append("    - {duration: \(ScenarioTextDuration.format(window.length)), ramp: {from: 0, to: 0.0001}}   # nothing published")
                } else {
                    out.append("    - {duration: \(ScenarioTextDuration.format(window.length)), rate: \(decimal(rate)), mix: {\(mix)}}")
                }
            }
            if !c.load.bursts.isEmpty {
                out.append("  bursts:   # seconds with ≥ \(LoadModel.burstMinimum) publishes of a task and ≥ \(Int(LoadModel.burstFactor))× its window's rate")
                for burst in c.load.bursts {
                    out.append("    - {at: \(ScenarioTextDuration.format(burst.at)), count: \(burst.count), task: \(burst.task)}")
                }
            }
            let names = Array(Set(c.load.arrivals.map(\.task))).sorted()
            if let first = names.first { out.append("  mix: {\(first): 1}   # for windows without a mix of their own") }
        }
        return out
    }

    // MARK: Formatting

    static func seconds(_ value: Double) -> String { String(format: value < 10 ? "%.3g" : "%.1f", value) }

    static func decimal(_ value: Double) -> String {
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// The most tasks running at once on `node`.
    static func peakConcurrency(of node: String, _ attempts: [RecordedAttempt]) -> Int {
        HostEstimate.peakRunning(attempts.filter { $0.node == node })
    }
}
