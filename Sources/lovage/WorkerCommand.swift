import ArgumentParser
import Dispatch
import Foundation
import LiveWorker
import Logging
import LovageLogging
import RealRun
import RedisClient
import Scenarios
import WorkerCore
import Workload
import WorkerMetrics

/// `lovage worker`: a Celery worker on real Redis, with Celery's flags and Dify's environment
/// variables, running Lovage's built-in tasks on a threads pool.
struct WorkerCommand: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a Celery-compatible worker against Redis (built-in tasks; prefork or threads pool).",
        discussion: """
        Environment (as Dify's entrypoint uses it): CELERY_BROKER_URL; CELERY_WORKER_AMOUNT (concurrency); \
        CELERY_AUTO_SCALE=true with CELERY_MAX_WORKERS and CELERY_MIN_WORKERS (--autoscale=MAX,MIN); \
        CELERY_WORKER_CLASS (pool); AUTOSCALE_KEEPALIVE (seconds before the autoscaler shrinks, as Celery reads it); CELERY_WORKER_TASK_EVENTS=1 (-E; the variable Celery's command line reads \
        through click's CELERY_ prefix). Flags win over the environment. \
        With -E the worker publishes Celery's task events (task-received, -started, -succeeded, -failed, \
        -retried, -rejected, -revoked) and worker-online, worker-heartbeat and worker-offline on the broker's \
        celeryev fanout, so `celery events`, Flower and celery.events.Receiver see it as a Celery worker; \
        without -E it still sends the worker events (as Celery does) and task events start with `celery control enable_events`. \
        The worker answers Celery's remote control (`celery inspect ...`, `celery control ...`, `celery status`, Flower) \
        on the broker's celery.pidbox mailbox (--without-control: it does not); at start it asks the other workers \
        for their revoked task ids (mingle; --without-mingle skips it); --pool-restarts (worker_pool_restarts) allows \
        `celery control pool_restart`. See docs/remote-control.md. \
        SIGTERM or a first SIGINT: warm shutdown; SIGQUIT or a second SIGINT: cold shutdown. \
        Durations (--time-limit, --soft-time-limit, --visibility-timeout, --heartbeat-interval, \
        --wait-for-broker) take units (90s, 5m, 1h, 500ms); a bare number is seconds, as in Celery. \
        --tasks-from SCENARIO.yaml (or a task table lovage run wrote, .json) registers the scenario's task \
        names as lovage.synthetic bodies with the scenario's Celery task options (the task's own over its \
        fleet group's defaults): a body only fails, with the scenario's error and probability, and the \
        worker retries it by the task's max_retries, autoretry_for and backoff, as in the simulator. \
        Exit status: 0 after a shutdown, 2 on a bad option, a bad --tasks-from file or a broker that cannot be reached.
        """)

    @Option(name: [.customShort("A"), .long], help: "Accepted for compatibility with `celery -A app worker`; ignored.")
    var app: String?
    @Option(name: [.customShort("Q"), .long], help: "Comma-separated queues, in consume order.")
    var queues: String = "celery"
    @Option(name: [.customShort("c"), .long], help: "Pool size (default: CELERY_WORKER_AMOUNT or the number of cores).")
    var concurrency: Int?
    @Option(help: "MAX,MIN pool sizes for Celery's autoscaler.")
    var autoscale: String?
    @Option(name: [.customShort("P"), .long], help: "Pool: prefork (default; child processes) or threads (gevent and eventlet run as threads; solo as one thread).")
    var pool: String?
    @Option(help: "worker_prefetch_multiplier (0 = no limit).")
    var prefetchMultiplier: Int = 4
    @Option(help: "worker_max_tasks_per_child (prefork).")
    var maxTasksPerChild: Int?
    @Option(help: "worker_max_memory_per_child, resident memory (prefork): a bare number is KiB as in Celery (200000), or 200MiB, 1GiB.",
            transform: MemoryArgument.parseKiB)
    var maxMemoryPerChild: Int?
    @Option(help: "task_time_limit: 3600, 1h, 90s; a bare number is seconds (prefork kills the child; threads can only ignore the late result).",
            transform: DurationArgument.parse)
    var timeLimit: DurationArgument?
    @Option(help: "task_soft_time_limit: 300, 5m; a bare number is seconds.", transform: DurationArgument.parse)
    var softTimeLimit: DurationArgument?
    @Option(name: [.customShort("n"), .long], help: "Node name, as Celery expands it: %h host name, %n its first label, %d its domain, %% a percent sign; a name without @ gets lovage@.")
    var hostname: String = "lovage@%h"
    @Option(name: [.customShort("l"), .long], help: "Log level: DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    var loglevel: String = "INFO"
    @OptionGroup var logFormat: LogFormatOption
    @Option(name: [.customShort("b"), .long], help: "Broker URL (default: CELERY_BROKER_URL or redis://127.0.0.1:6379/0).")
    var broker: String?
    @Option(name: .customLong("result-backend"), help: "Result backend URL (default: the broker URL).")
    var resultBackend: String?
    @Flag(help: "task_acks_late: acknowledge after the task ends.")
    var acksLate = false
    @Flag(help: "task_track_started: store STARTED when a task begins.")
    var trackStarted = false
    @Flag(help: "task_reject_on_worker_lost: requeue a late-acked task whose child died.")
    var rejectOnWorkerLost = false
    @Option(help: "Kombu visibility_timeout: 3600, 1h; a bare number is seconds (default 1h).", transform: DurationArgument.parse)
    var visibilityTimeout: DurationArgument?
    @Option(help: "Kombu priority steps, comma-separated (default 0,3,6,9).")
    var prioritySteps: String?
    @Option(help: "Kombu queue_order_strategy: round_robin, priority or sorted (default round_robin).")
    var queueOrderStrategy: String?
    @OptionGroup var connection: BrokerConnectionOptions
    @Flag(name: [.customShort("E"), .customLong("task-events"), .customLong("events")],
          help: "Send Celery's task events (and worker heartbeats) for monitors such as Flower.")
    var taskEvents = false
    @Flag(help: "Skip mingle at start: do not ask the other workers (hello) for the task ids they revoked.")
    var withoutMingle = false
    @Flag(help: "Do not answer Celery's remote control (celery inspect / celery control / Flower).")
    var withoutControl = false
    @Flag(help: "worker_pool_restarts: allow the pool_restart remote control (replace every pool child).")
    var poolRestarts = false
    @Option(help: "Time between worker-heartbeat events (with -E): 2, 2s, 500ms; a bare number is seconds (default 2s).", transform: DurationArgument.parse)
    var heartbeatInterval: DurationArgument = DurationArgument(.seconds(2))
    @Option(help: "How long to wait for Redis at start, like wait-for-it: 30, 30s, 2m; a bare number is seconds (default 30s).", transform: DurationArgument.parse)
    var waitForBroker: DurationArgument = DurationArgument(.seconds(30))
    @Flag(name: [.customShort("B"), .customLong("beat")],
          help: "Embed beat, as Celery's -B: send the --schedule file's periodic tasks. Beats share the Redis lock, so -B on every worker sends each run once.")
    var beat = false
    @Option(name: .customLong("schedule"), help: "With -B: the schedule file (YAML or JSON, as `lovage beat --schedule`).")
    var schedule: String?
    @Option(name: .customLong("beat-lock-timeout"), help: "With -B: the beat lock's expiry (as `lovage beat --lock-timeout`; default 30s).",
            transform: DurationArgument.parse)
    var beatLockTimeout: DurationArgument = DurationArgument(.seconds(30))

    @Option(help: "Serve Prometheus metrics (celery-exporter's names, docs/monitoring.md) at http://ADDRESS:PORT/metrics (default: LOVAGE_METRICS_PORT; off when neither is given).")
    var metricsPort: Int?
    @Option(help: "The address the metrics server listens on (default: LOVAGE_METRICS_ADDRESS or 127.0.0.1; 0.0.0.0 for every interface).")
    var metricsAddress: String?

    @Option(help: ArgumentHelp("Register a scenario's task names as synthetic bodies with its task options: a scenario file, or a task table (.json) lovage run wrote.",
                               valueName: "file"))
    var tasksFrom: String?
    @Option(help: "With --tasks-from SCENARIO: the fleet group whose task defaults apply (needed when the scenario has several).")
    var tasksGroup: String?

    /// Checks that need no environment, before anything connects.
    func validate() throws {
        guard heartbeatInterval.span.microseconds > 0 else { throw ValidationError("--heartbeat-interval must be longer than 0s") }
        if let timeLimit, timeLimit.span.microseconds <= 0 { throw ValidationError("--time-limit must be longer than 0s") }
        if let softTimeLimit, softTimeLimit.span.microseconds <= 0 { throw ValidationError("--soft-time-limit must be longer than 0s") }
        if let visibilityTimeout, visibilityTimeout.span.microseconds <= 0 { throw ValidationError("--visibility-timeout must be longer than 0s") }
        if beat && schedule == nil { throw ValidationError("-B needs --schedule FILE: the periodic tasks to send") }
        if !beat && schedule != nil { throw ValidationError("--schedule is for the embedded beat: add -B") }
        guard beatLockTimeout.span.microseconds >= 300_000 else { throw ValidationError("--beat-lock-timeout must be at least 300ms") }
        _ = try logSetup()
    }

    /// `-l` and `--log-format`; the prefork children (this executable, `worker-child`) inherit
    /// them through the environment.
    func logSetup() throws -> LogSetup {
        let level: Logger.Level
        do { level = try LogLevelName.resolve(loglevel, flag: "-l/--loglevel") } catch { throw ValidationError(error.description) }
        return LogSetup(format: try logFormat.resolve(), level: level)
    }

    /// The worker's logger: "lovage.worker", at the level and format `LogSetup` bootstrapped.
    private var logger: Logger { Logger(label: "lovage.worker") }

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        let nodeName: String
        do { nodeName = try NodeNameFormat.expand(hostname, host: NodeNameFormat.systemHostName()) } catch {
            throw ValidationError("-n/--hostname: \(error)")
        }
        let brokerText = broker ?? env["CELERY_BROKER_URL"] ?? "redis://127.0.0.1:6379/0"
        let brokerURL = try connection.brokerURL(brokerText)
        let backendURL = try connection.backendURL(resultBackend ?? brokerText)

        var poolName = (pool ?? env["CELERY_WORKER_CLASS"] ?? "prefork").lowercased()
        var size = concurrency ?? env["CELERY_WORKER_AMOUNT"].flatMap(Int.init) ?? ProcessInfo.processInfo.activeProcessorCount
        switch poolName {
        case "threads", "prefork": break
        case "processes": poolName = "prefork"
        case "gevent", "eventlet":
            logger.warning("pool \(poolName) runs as threads in Lovage")
            poolName = "threads"
        case "solo":
            size = 1
            poolName = "threads"
        default:
            throw ValidationError("-P \(poolName): unknown pool (prefork, threads, gevent, eventlet, solo)")
        }
        guard size >= 1 else { throw ValidationError("--concurrency must be at least 1") }

        var scaling: AutoscaleSettings? = nil
        if let autoscale {
            scaling = try parseAutoscale(autoscale)
        } else if env["CELERY_AUTO_SCALE"]?.lowercased() == "true" {
            let maximum = env["CELERY_MAX_WORKERS"].flatMap(Int.init) ?? size
            let minimum = env["CELERY_MIN_WORKERS"].flatMap(Int.init) ?? 1
            scaling = try parseAutoscale("\(maximum),\(minimum)")
        }

        var defaults = TaskOptions()
        defaults.acksLate = acksLate
        defaults.trackStarted = trackStarted
        defaults.rejectOnWorkerLost = rejectOnWorkerLost
        defaults.timeLimit = timeLimit?.span
        defaults.softTimeLimit = softTimeLimit?.span
        // broker_transport_options first, then the flags given explicitly.
        var transport = try connection.brokerOptions().transport
        if let visibilityTimeout { transport.visibilityTimeout = visibilityTimeout.span }
        if let prioritySteps { transport.prioritySteps = try Self.prioritySteps(prioritySteps) }
        if let queueOrderStrategy {
            guard let strategy = QueueOrderStrategy(rawValue: queueOrderStrategy) else {
                throw ValidationError("--queue-order-strategy must be round_robin, priority or sorted, got \(queueOrderStrategy)")
            }
            transport.queueOrderStrategy = strategy
        }
        let queueList = queues.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !queueList.isEmpty else { throw ValidationError("-Q: no queue given") }
        guard prefetchMultiplier >= 0 else { throw ValidationError("--prefetch-multiplier must be >= 0") }

        let config = WorkerConfig(hostname: nodeName, queues: queueList, concurrency: size, autoscale: scaling,
                                  prefetchMultiplier: prefetchMultiplier,
                                  maxTasksPerChild: poolName == "prefork" ? maxTasksPerChild : nil,
                                  maxMemoryPerChildKiB: poolName == "prefork" ? maxMemoryPerChild : nil,
                                  prioritySteps: transport.prioritySteps,
                                  queueOrderStrategy: transport.queueOrderStrategy, taskDefaults: defaults)
        var registry = TaskRegistry()
        BuiltinTasks.register(into: &registry, defaults: defaults)
        SimulateTask.register(into: &registry, defaults: defaults)
        // The prefork children inherit it: lovage.simulate names its worker in its result.
        setenv(SimulateTask.nodeNameKey, nodeName, 1)
        if let tasksFrom {
            let table: ScenarioTaskTable
            do { table = try ScenarioTaskRegistration.table(from: tasksFrom, group: tasksGroup) } catch {
                logger.error("--tasks-from: \(error)")
                throw ExitCode(ExitStatus.badInput)
            }
            ScenarioTaskRegistration.register(table, into: &registry)
            // The prefork children are this executable too and inherit the environment.
            setenv(ScenarioTaskRegistration.childEnvironmentKey, ScenarioTaskRegistration.childEnvironmentValue(table), 1)
        } else if tasksGroup != nil {
            logger.error("--tasks-group needs --tasks-from")
            throw ExitCode(ExitStatus.badInput)
        }
        BuiltinTasks.registerCanvas(into: &registry)

        let metricsListen = try metricsListen(env: env)
        do {
            try RedisConnection.waitUntilReachable(url: brokerURL, timeout: waitForBroker.seconds)
        } catch {
            logger.error("cannot reach the broker: \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
        var settings = LiveWorkerSettings(core: config, brokerURL: brokerURL, resultBackendURL: backendURL, transport: transport)
        let setup = try logSetup()
        // Above INFO the worker skips building its per-task lines at all, as before swift-log.
        let quiet = setup.level > .info
        setenv(LogFormat.environmentKey, setup.format.rawValue, 1)
        setenv(LovageLoggingSystem.childLevelKey, LogLevelName.name(of: setup.level), 1)
        settings.logTasks = !quiet
        settings.pool = poolName == "prefork" ? .prefork : .threads
        settings.taskEvents = taskEvents || Self.truthy(env["CELERY_WORKER_TASK_EVENTS"])
        settings.heartbeatSeconds = heartbeatInterval.seconds
        settings.mingle = !withoutMingle
        settings.remoteControl = !withoutControl
        settings.poolRestarts = poolRestarts || Self.truthy(env["CELERY_WORKER_POOL_RESTARTS"])
        let driver: LiveWorkerDriver
        do {
            driver = try LiveWorkerDriver(settings: settings, registry: registry, logger: logger)
        } catch {
            logger.error("cannot connect: \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
        let metrics = try startMetrics(metricsListen, nodeName: nodeName, driver: driver, brokerURL: brokerURL,
                                       queues: config.queues, prioritySteps: transport.prioritySteps)
        printBanner(nodeName: nodeName, broker: brokerURL, backend: backendURL, pool: poolName, config: config,
                    registry: registry, taskEventsOn: settings.taskEvents)
        let embeddedBeat = try beat ? EmbeddedBeat.start(schedulePath: schedule, brokerURL: brokerURL, defaultQueue: config.queues.first ?? "celery",
                                                         prioritySteps: transport.prioritySteps, lockTimeout: beatLockTimeout.span.microseconds,
                                                         nodeName: nodeName) : nil
        let signals = SignalWatcher(driver: driver)
        signals.start()
        driver.run()
        embeddedBeat?.stopAndWait()
        metrics?.stop()
        withExtendedLifetime(signals) {}
    }

    /// Where `--metrics-port` (or LOVAGE_METRICS_PORT) asks the metrics server to listen, checked
    /// before the worker waits for its broker; nil when metrics are off.
    struct MetricsListen { var address: String; var port: Int; var portFlag: String; var addressFlag: String }

    private func metricsListen(env: [String: String]) throws -> MetricsListen? {
        let portText = metricsPort.map(String.init) ?? env["LOVAGE_METRICS_PORT"]
        guard let portText, !portText.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let portFlag = metricsPort != nil ? "--metrics-port" : "LOVAGE_METRICS_PORT"
        guard let port = Int(portText.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("\(portFlag) must be a port number (0 to 65535), got \(portText)")
        }
        let addressFlag = metricsAddress != nil ? "--metrics-address" : "LOVAGE_METRICS_ADDRESS"
        let listen = MetricsListen(address: metricsAddress ?? env["LOVAGE_METRICS_ADDRESS"] ?? "127.0.0.1", port: port,
                                   portFlag: portFlag, addressFlag: addressFlag)
        do { try MetricsServer.check(address: listen.address, port: port, portFlag: portFlag, addressFlag: addressFlag) } catch {
            throw ValidationError(error.description)
        }
        return listen
    }

    /// The registry, the driver's observer, the queue-length sampler and the server, started
    /// before the worker consumes (a port in use stops the worker at once).
    private func startMetrics(_ listen: MetricsListen?, nodeName: String, driver: LiveWorkerDriver, brokerURL: RedisURL,
                              queues: [String], prioritySteps: [Int]) throws -> WorkerMetricsEndpoint? {
        guard let listen else { return nil }
        do {
            let endpoint = try WorkerMetricsEndpoint.start(address: listen.address, port: listen.port, portFlag: listen.portFlag,
                                                           addressFlag: listen.addressFlag, driver: driver, nodeName: nodeName,
                                                           brokerURL: brokerURL, queues: queues, prioritySteps: prioritySteps,
                                                           logger: logger)
            let shown = listen.address.contains(":") ? "[\(listen.address)]" : listen.address
            logger.info("metrics at http://\(shown):\(endpoint.port)/metrics")
            return endpoint
        } catch {
            logger.error("\(error)")
            throw ExitCode(ExitStatus.badInput)
        }
    }

    private func printBanner(nodeName: String, broker: RedisURL, backend: RedisURL, pool: String, config: WorkerConfig,
                             registry: TaskRegistry, taskEventsOn: Bool) {
        let scaling = config.autoscale.map { " (autoscale \($0.maxConcurrency),\($0.minConcurrency))" } ?? ""
        var lines = [
            " -------------- \(nodeName) (Lovage, Celery protocol v2)",
            "- ** ---------- .> transport:   \(broker.redacted)",
            "- ** ---------- .> results:     \(backend.redacted)",
            "- ** ---------- .> concurrency: \(config.concurrency) (\(pool))\(scaling)",
            "- ** ---------- .> prefetch:    \(config.prefetchLimit.map(String.init) ?? "unlimited") (multiplier \(config.prefetchMultiplier))",
            "- ** ---------- .> acks_late:   \(config.taskDefaults.acksLate ? "on" : "off")",
            "- ** ---------- .> recycle:     " + childLimits(config),
            "- ** ---------- .> task events: \(taskEventsOn ? "ON" : "OFF (enable -E to monitor tasks in this worker)")",
            " -------------- [queues]",
        ]
        lines += config.queues.map { "                .> \($0)" }
        lines.append("")
        lines.append("[tasks]")
        lines += registry.names.map { "  . \($0)" }
        lines.append("")
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// The prefork child recycling limits as the banner shows them, so a limit given with a unit
    /// (`--max-memory-per-child 200MiB`) can be checked in the KiB the worker applies.
    private func childLimits(_ config: WorkerConfig) -> String {
        var parts: [String] = []
        if let tasks = config.maxTasksPerChild { parts.append("after \(tasks) tasks") }
        if let kib = config.maxMemoryPerChildKiB { parts.append("above \(kib) KiB resident") }
        return parts.isEmpty ? "never (no --max-tasks-per-child or --max-memory-per-child)" : parts.joined(separator: ", ")
    }

    /// click's reading of a boolean environment variable (`1`, `true`, `t`, `yes`, `y`, `on`).
    static func truthy(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["1", "true", "t", "yes", "y", "on"].contains(value.trimmingCharacters(in: .whitespaces).lowercased())
    }


    private func parseAutoscale(_ text: String) throws -> AutoscaleSettings {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let maximum = parts[0], let minimum = parts[1], maximum >= 1, minimum >= 0, minimum <= maximum else {
            throw ValidationError("--autoscale must be MAX,MIN with 0 <= MIN <= MAX and MAX >= 1, got \(text)")
        }
        // Celery reads the shrink delay from the environment only (celery/worker/autoscale.py:
        // AUTOSCALE_KEEPALIVE, seconds, default 30).
        var keepalive = TimeSpan.seconds(30)
        if let text = ProcessInfo.processInfo.environment["AUTOSCALE_KEEPALIVE"] {
            guard let span = DurationText.parse(text.trimmingCharacters(in: .whitespaces)), span.microseconds > 0 else {
                throw ValidationError("AUTOSCALE_KEEPALIVE must be a positive duration (30, 30s, 2m; a bare number is seconds), got \(text)")
            }
            keepalive = span
        }
        return AutoscaleSettings(maxConcurrency: maximum, minConcurrency: minimum, keepalive: keepalive)
    }

}

/// SIGTERM and a first SIGINT ask for a warm shutdown; SIGQUIT or a second SIGINT for a cold one.
final class SignalWatcher: @unchecked Sendable {
    private let driver: LiveWorkerDriver
    private var sources: [DispatchSourceSignal] = []
    private var interrupts = 0
    private let queue = DispatchQueue(label: "lovage.signals")

    init(driver: LiveWorkerDriver) { self.driver = driver }

    func start() {
        for signalNumber in [SIGTERM, SIGINT, SIGQUIT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [weak self] in self?.received(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    private func received(_ signalNumber: Int32) {
        switch signalNumber {
        case SIGINT:
            interrupts += 1
            driver.requestShutdown(interrupts == 1 ? .warm : .cold)
        case SIGQUIT:
            driver.requestShutdown(.cold)
        default:
            driver.requestShutdown(.warm)
        }
    }
}

/// `lovage worker-child`: a prefork pool child; started by `lovage worker`, not by people.
struct WorkerChildCommand: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(commandName: "worker-child", shouldDisplay: false)

    /// The parent's format and level, and the process name the pool gave this child
    /// (`ForkPoolWorker-N`), all from the environment the parent set.
    func logSetup() throws -> LogSetup {
        let environment = ProcessInfo.processInfo.environment
        return LogSetup(format: LogSetup.default.format,
                        level: environment[LovageLoggingSystem.childLevelKey].flatMap(LogLevelName.parse) ?? .info,
                        processName: environment[LovageLoggingSystem.childProcessNameKey] ?? "ForkPoolWorker")
    }

    func run() throws {
        var registry = TaskRegistry()
        BuiltinTasks.register(into: &registry, defaults: TaskOptions())
        SimulateTask.register(into: &registry, defaults: TaskOptions())
        ScenarioTaskRegistration.registerForChild(from: ProcessInfo.processInfo.environment, into: &registry)
        BuiltinTasks.registerCanvas(into: &registry)
        ChildProcess.run(registry: registry)
    }
}
