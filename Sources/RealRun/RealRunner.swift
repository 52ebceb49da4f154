import CeleryWire
import Foundation
import LiveWorker
import Logging
import RedisClient
import PrivateRedis
import Reports
import Scenarios
import WorkerCore
import Workload

/// `lovage run FILE --mode redis`: the scenario on real Redis with real worker processes.
///
/// It starts (unless given a broker) a private redis-server on a free loopback port, starts the
/// fleet as `lovage worker` (or Celery) processes with the scenario's settings and its task names
/// registered as synthetic bodies with their options (`ScenarioTaskTable`), publishes the
/// scenario's load under those names from an open-model publisher, applies the
/// faults for real, samples Redis once a second, reads every task's result at the end, and
/// stops everything it started, also when the run fails or is interrupted (`interrupt()`).
public final class RealRunner: @unchecked Sendable {
    /// The scenario as it runs (after the time scale).
    public let scenario: Scenario
    let seed: UInt64
    let options: RealRunOptions
    /// Called several times a second with (fraction done, seconds since the load started).
    public var progress: (@Sendable (Double, Double) -> Void)?
    private let lock = NSLock()
    private var interrupted = false
    /// The latency the relay adds now (the sum of the active `broker_latency` faults).
    private var addedLatency = TimeSpan.zero

    /// `scenario` is the file as loaded; the time scale is applied here.
    public init(scenario: Scenario, options: RealRunOptions) throws {
        let problems = RealRunSupport.problems(in: scenario, target: options.target, timeScale: options.timeScale)
        guard problems.isEmpty else {
            throw RealRunError("\(scenario.sourcePath): redis mode cannot run this scenario yet:\n  " + problems.joined(separator: "\n  "))
        }
        guard options.timeScale > 0, options.timeScale.isFinite else { throw RealRunError("--time-scale must be a positive number") }
        self.scenario = scenario.timeScaled(by: options.timeScale)
        seed = options.seed ?? scenario.seed
        self.options = options
    }

    /// Stops the run early (SIGINT): the load stops, then everything is stopped and reported.
    public func interrupt() { lock.withLock { interrupted = true } }
    private var isInterrupted: Bool { lock.withLock { interrupted } }

    public func run() throws -> RunResult {
        let server: PrivateRedisServer? = options.brokerURL == nil ? try PrivateRedisServer() : nil
        defer { server?.stop() }
        guard let url = options.brokerURL ?? server?.url else { throw RealRunError("no broker") }
        try checkReachable(url)
        // Workers and the publisher go through a latency relay when the scenario adds latency.
        let proxy = try latencyProxy(for: url)
        defer { proxy?.stop() }
        let clientURL = proxy.map { RedisURL(endpoint: .tcp(host: "127.0.0.1", port: $0.port), username: url.username,
                                             password: url.password, database: url.database) } ?? url
        let fleet = try WorkerFleet(scenario: scenario, brokerURL: clientURL, options: options)
        defer { fleet.stopAll() }
        // The fleet runs with -E; the subscriber is listening before the first worker starts.
        let monitor = options.publishOnly || !options.taskEvents ? nil : TaskEventMonitor(url: url, logger: options.logger)
        try monitor?.start()
        defer { _ = monitor?.stop(quietSeconds: 0, maxWaitSeconds: 0) }
        if !options.publishOnly {
            try fleet.startAll()
            try waitForFleet(url: url, fleet: fleet)
        }

        let plan = ArrivalPlan.tasks(for: scenario, seed: seed)
        let publisher = LoadPublisher(plan: plan, scenario: scenario, url: clientURL, seed: seed)
        let sampler = BrokerSampler(url: url, listKeys: listKeys())
        // The schedule's beats, through the relay as the workers and the publisher.
        let beats = RunBeats(scenario: scenario, brokerURL: clientURL, options: options)
        defer { beats?.processes.stopAll(why: "clean-up") }
        let start = Date()
        sampler.start(from: start, intervalSeconds: sampleIntervalSeconds, workers: { fleet.aliveCount })
        let slowWindows = scenario.faults.compactMap { fault -> (start: TimeSpan, end: TimeSpan, factor: Double, pattern: String)? in
            guard case .slowTasks(let factor, let pattern) = fault.kind else { return nil }
            return (fault.start, fault.end ?? scenario.duration + scenario.drain, factor, pattern)
        }
        try beats?.start(at: start, slowWindows: slowWindows)
        let publishing = Thread { publisher.run(start: start, slowWindows: slowWindows) }
        publishing.name = "lovage-run-publisher"
        publishing.start()

        let collector = ResultCollector(url: url, ids: publisher.resultIDs, plannedCount: publisher.ids.count,
                                        rootPlanIndex: publisher.pipelines.followers.map(\.planIndex),
                                        errbackOwner: publisher.pipelines.followers.map { follower in
                                            switch follower.owner {
                                            case nil: return nil
                                            case .root?: return follower.planIndex
                                            case .follower(let index)?: return publisher.ids.count + index
                                            }
                                        })
        var offsetByID: [String: TimeSpan] = [:]
        for (index, id) in publisher.ids.enumerated() { offsetByID[id] = plan[index].offset }
        let scaler = RealFleetScaler(scenario: scenario, fleet: fleet, url: url, intendedOffsetOfTask: { offsetByID[$0] },
                                     logger: options.logger)
        let memoryLimit = ContainerMemoryLimit(scenario: scenario, fleet: fleet, logger: options.logger)
        if !options.publishOnly { memoryLimit.start() }
        defer { memoryLimit.stop() }
        let faults = FaultTimeline(scenario.faults, loadEnd: scenario.duration)
        let controls = RealControlSender(scenario: scenario, url: url, publishedIDs: publisher.ids, listKeys: listKeys(),
                                         logger: options.logger)
        let end = scenario.duration + scenario.drain
        var stoppedBy: String? = nil
        while true {
            let now = TimeSpan(microseconds: LoadPublisher.offset(since: start))
            for action in faults.due(at: now) { apply(action, fleet: fleet, server: server, proxy: proxy, beats: beats) }
            // Beats run while the load does; then their sends are read and their tasks awaited.
            if now >= scenario.duration { beats?.endLoad(collector: collector) }
            if !scaler.isEmpty { scaler.tick(now: now) }
            controls.tick(now: now)
            progress?(min(1, now.seconds / max(end.seconds, 0.001)), now.seconds)
            if isInterrupted { stoppedBy = "interrupted"; publisher.stop(); break }
            if let failure = publisher.failure { stoppedBy = failure; break }
            if now >= end { break }
            if options.publishOnly, publishing.isFinished { break }
            if now >= scenario.duration, publishing.isFinished, faults.isDone, controls.isDone,
               collector.refresh(sentCount: publisher.sent) == publisher.plan.count, collector.beatTasksEnded,
               pipelinesEnded(publisher: publisher, collector: collector, start: start) { break }
            // Faults and scaler actions happen on time, not on the next 0.2 s round: at time scale
            // 0.05 a round is 4 s of the scenario, longer than a scaled 15 s start-up delay.
            // The beats stop at the end of the load, on time: a send after it is not the simulation's.
            let beatsEnd = beats.map { $0.ended ? nil : scenario.duration } ?? nil
            let nextDue = [faults.nextDue, scaler.nextDue, controls.nextDue, beatsEnd].compactMap { $0 }.min()
            let wait = nextDue.map { min(Self.loopRoundSeconds, max(0, ($0 - now).seconds)) } ?? Self.loopRoundSeconds
            Thread.sleep(forTimeInterval: wait)
        }
        publisher.stop()
        memoryLimit.stop()
        while !publishing.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        server?.resume()
        beats?.endLoad(collector: collector)
        if !options.publishOnly { _ = collector.refresh(sentCount: publisher.sent) }
        let finishedAt = LoadPublisher.offset(since: start)
        let samples = sampler.stop()
        let executions = monitor?.stop()
        let made = RealRunSummary(scenario: scenario, seed: seed, mode: options.target == .lovage ? "redis" : "redis-celery",
                                  publisher: publisher, collector: collector, samples: samples, scalerPolls: scaler.polls,
                                  oomKilled: memoryLimit.oomKilled,
                                  listNames: listDisplayNames(), finishedAtMicros: finishedAt, startedAt: start,
                                  executions: executions, beatTasks: beats?.tasks ?? []).make()
        var summary = made.summary
        summary.periodic = beats?.periodic
        if !scenario.controls.isEmpty { summary.controls = controls.waitAndCollect() }
        let outcomes = AssertionOutcome.check(scenario.assertions, against: summary)
        let pipelines = PipelineOutcomes.read(publisher: publisher, collector: collector, names: scenario.tasks.map(\.name),
                                              startMicros: Int64(start.timeIntervalSince1970 * 1_000_000), finishedAtMicros: finishedAt)
        var lines = collector.leftoverLines(limit: 20, counts: { index in
            index < collector.plannedCount || index >= collector.beatTaskStart
                || pipelines?.publishedMicros[index - collector.plannedCount] != nil })
        if let stoppedBy { lines.insert("run stopped early: \(stoppedBy)", at: 0) }
        var result = RunResult(summary: summary, assertionOutcomes: outcomes, leftoverLines: lines, eventsProcessed: 0)
        result.queueWaitByPlanIndexMicros = made.queueWaitByPlanIndexMicros
        return result
    }

    /// Whether every pipeline of the sent roots has completed or failed: the run waits for them as
    /// it waits for the planned tasks' results (a stuck one keeps it going to the drain's end).
    private func pipelinesEnded(publisher: LoadPublisher, collector: ResultCollector, start: Date) -> Bool {
        PipelineOutcomes.read(publisher: publisher, collector: collector, names: scenario.tasks.map(\.name),
                              startMicros: Int64(start.timeIntervalSince1970 * 1_000_000),
                              finishedAtMicros: LoadPublisher.offset(since: start))?.allEnded ?? true
    }

    // MARK: Set-up

    private var sampleIntervalSeconds: Double { 1 }

    /// The longest the run loop sleeps between looks at progress, interruption and completion.
    private static let loopRoundSeconds = 0.2

    private func checkReachable(_ url: RedisURL) throws {
        do {
            _ = try RedisConnection(url: url, connectTimeout: 3).command("PING")
        } catch {
            throw RealRunError("cannot reach the broker \(url.redacted): \(error)")
        }
    }

    /// Waits until every worker is up: Lovage workers publish their stats hash when ready;
    /// Celery workers are given until their first heartbeat-free start (a fixed 30 s at most,
    /// ended early when their processes are found consuming with BRPOP).
    private func waitForFleet(url: RedisURL, fleet: WorkerFleet) throws {
        let connection = try RedisConnection(url: url, connectTimeout: 3)
        let expected = fleet.initialCount
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if fleet.aliveCount < expected {
                throw RealRunError("a worker exited at start-up; see its log in \(options.logDirectory)")
            }
            let clients = (try? connection.command("CLIENT", "LIST"))?.stringValue ?? ""
            let consuming = clients.split(separator: "\n").filter { $0.contains("cmd=brpop") || $0.contains("cmd=eval") }.count
            if consuming >= expected { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw RealRunError("the fleet did not start consuming within 60 s; see the worker logs in \(options.logDirectory)")
    }

    /// Every broker list the fleet consumes (each queue at each priority step), in a fixed order.
    private func listKeys() -> [String] {
        queueNames().flatMap { queue in
            PriorityQueueKeys.allKeys(queue: queue, steps: scenario.broker.prioritySteps)
        }
    }

    private func listDisplayNames() -> [String] {
        listKeys().map { $0.replacingOccurrences(of: PriorityQueueKeys.separator, with: ":p") }
    }

    /// The queues the fleet consumes and the ones the load publishes to (a queue in the scenario's
    /// `unconsumed_queues` is sampled too, so what strands there shows as queued, as in sim).
    private func queueNames() -> [String] {
        let router = TaskRouter(rules: scenario.routes.map { TaskRouter.Rule(pattern: $0.pattern, queue: $0.queue) })
        var names: [String] = []
        let published = scenario.tasks.map { router.queue(forTask: $0.name, explicitQueue: $0.queue) }
            + RunBeats.sends(of: scenario).map(\.send.queue)
        for queue in scenario.fleet.flatMap(\.queues) + published where !names.contains(queue) { names.append(queue) }
        return names.sorted()
    }

    // MARK: Faults

    /// A relay in front of the broker when a `broker_latency` fault needs one.
    private func latencyProxy(for url: RedisURL) throws -> LatencyProxy? {
        let needsLatency = scenario.faults.contains { if case .brokerLatency = $0.kind { return true } else { return false } }
        guard needsLatency else { return nil }
        guard case .tcp(let host, let port) = url.endpoint, host == "127.0.0.1" || host == "localhost" else {
            throw RealRunError("broker_latency needs a broker on 127.0.0.1 over TCP (a relay adds the latency); got \(url.redacted)")
        }
        return try LatencyProxy(targetHost: "127.0.0.1", targetPort: port)
    }

    private func apply(_ action: FaultTimeline.Action, fleet: WorkerFleet, server: PrivateRedisServer?, proxy: LatencyProxy?,
                       beats: RunBeats?) {
        switch action {
        case .start(.killWorker(let name)): fleet.kill(name)
        case .start(.restartWorker(let name)):
            do { try fleet.start(name); options.logger.info("fault: restarted \(name)") } catch { options.logger.info("fault: \(error)") }
        case .start(.stopWorker(let name)): fleet.stop(name)
        case .start(.brokerOutage):
            if let server { server.pause(); beats?.brokerFrozen(true); options.logger.info("fault: redis-server frozen (SIGSTOP)") }
            else { options.logger.info("fault: broker_outage skipped: --broker names a server this run did not start") }
        case .end(.brokerOutage):
            if let server { server.resume(); beats?.brokerFrozen(false); options.logger.info("fault: redis-server resumed (SIGCONT)") }
        case .start(.brokerLatency(let latency)):
            addedLatency = addedLatency + latency
            proxy?.setLatency(addedLatency.microseconds)
            options.logger.info("fault: broker latency +\(latency.microseconds) µs per direction (now \(addedLatency.microseconds) µs)")
        case .end(.brokerLatency(let latency)):
            addedLatency = addedLatency - latency
            proxy?.setLatency(addedLatency.microseconds)
            options.logger.info("fault: broker latency back to \(addedLatency.microseconds) µs")
        case .start(.killBeat), .start(.restartBeat), .start(.startBeat), .end(.restartBeat):
            beats?.apply(action)
        case .start, .end:
            break   // slow tasks are applied by the publisher; the rest are refused before the run
        }
    }
}

/// The scenario's faults as start and end actions in time order.
final class FaultTimeline {
    enum Action { case start(FaultKind), end(FaultKind) }
    private var pending: [(at: TimeSpan, order: Int, action: Action)]

    /// A `restart_beat`'s second half (the beat started again after `down_for`) is its end action,
    /// unless it falls at or after `loadEnd`, when beats no longer run.
    init(_ faults: [FaultSpec], loadEnd: TimeSpan? = nil) {
        var actions: [(at: TimeSpan, order: Int, action: Action)] = []
        for fault in faults {
            actions.append((fault.start, actions.count, .start(fault.kind)))
            if let end = fault.end { actions.append((end, actions.count, .end(fault.kind))) }
            if case .restartBeat(_, let downFor) = fault.kind, loadEnd.map({ fault.start + downFor < $0 }) ?? true {
                actions.append((fault.start + downFor, actions.count, .end(fault.kind)))
            }
        }
        pending = actions.sorted { ($0.at, $0.order) < ($1.at, $1.order) }
    }

    var isDone: Bool { pending.isEmpty }

    /// When the next action is due; nil when none is left.
    var nextDue: TimeSpan? { pending.first?.at }

    func due(at now: TimeSpan) -> [Action] {
        var due: [Action] = []
        while let first = pending.first, first.at <= now {
            due.append(first.action)
            pending.removeFirst()
        }
        return due
    }
}
