import Foundation
import Glibc
import Logging
import RedisClient
import Scenarios
import Workload

/// The scenario's fleet as real worker processes, named as the simulator names them
/// (`<group>-<n>`), each started by its PID-known `Process` so faults and clean-up signal exactly
/// the processes this run started.
final class WorkerFleet: @unchecked Sendable {
    struct Member {
        let name: String
        let group: Int
        let executable: String
        let arguments: [String]
        /// Settings a Celery worker takes from the environment (lovage_synthetic.py reads them).
        let environment: [String: String]
        /// False for a scaled group's replicas beyond its `count`: the fleet scaler starts those.
        let startsWithRun: Bool
        var process: Process?
    }

    private let lock = NSLock()
    private var members: [Member] = []
    private let environment: [String: String]
    private let logDirectory: String
    private let workingDirectory: String
    private let logger: Logger

    /// `scenario` is the scenario as it runs (time-scaled): each group's task table is written from
    /// it to the logs folder, so the workers' time limits and retry delays are the scaled ones.
    init(scenario: Scenario, brokerURL: RedisURL, options: RealRunOptions) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["CELERY_BROKER_URL"] = brokerURL.absoluteString
        environment["PYTHONPATH"] = options.celeryModuleDirectory
        environment["LOVAGE_VISIBILITY_TIMEOUT"] = String(scenario.broker.visibilityTimeout.seconds)
        environment["LOVAGE_PRIORITY_STEPS"] = scenario.broker.prioritySteps.map(String.init).joined(separator: ",")
        environment["LOVAGE_QUEUE_ORDER_STRATEGY"] = scenario.broker.queueOrderStrategy.rawValue
        environment["LOVAGE_RESULT_EXPIRES"] = String(scenario.broker.resultExpires.seconds)
        self.environment = environment
        logDirectory = options.logDirectory
        workingDirectory = options.celeryModuleDirectory
        logger = options.logger
        for (groupIndex, group) in scenario.fleet.enumerated() {
            var table = ScenarioTaskTable(scenario: scenario, group: group)
            // The run measures every task from its result document (started_at, date_done), so a
            // group's ignore_result would leave it nothing to read: the workers store results (a
            // task's own ignore_result still comes with its messages, as in the simulator).
            for index in table.tasks.indices { table.tasks[index].options.ignoreResult = false }
            let tablePath = try Self.writeTaskTable(table, in: options.logDirectory)
            // A scaled group has all its possible replicas; the first `count` start with the run.
            for number in 1...max(1, group.scaler?.maxReplicas ?? group.count) {
                let name = "\(group.name)-\(number)"
                let (executable, arguments) = Self.command(for: group, name: name, scenario: scenario, brokerURL: brokerURL,
                                                           taskTable: tablePath, options: options)
                let defaults = group.taskDefaults
                var settings = ["LOVAGE_ACKS_LATE": defaults.acksLate, "LOVAGE_REJECT_ON_WORKER_LOST": defaults.rejectOnWorkerLost,
                                "LOVAGE_TRACK_STARTED": defaults.trackStarted].mapValues { $0 ? "1" : "0" }
                // The autoscaler's keepalive (time-scaled with the run): both Lovage and Celery read it here.
                if let keepalive = group.autoscale?.keepalive { settings["AUTOSCALE_KEEPALIVE"] = String(keepalive.seconds) }
                // The scenario's task names with their options, for lovage_synthetic.py (a Lovage
                // worker is given it as --tasks-from).
                settings["LOVAGE_TASK_TABLE"] = tablePath
                members.append(Member(name: name, group: groupIndex, executable: executable, arguments: arguments, environment: settings,
                                      startsWithRun: number <= group.count))
            }
        }
    }

    /// Writes a group's task table as `task-table-<group>.json` in `directory`; returns its absolute
    /// path (the workers run in another directory).
    static func writeTaskTable(_ table: ScenarioTaskTable, in directory: String) throws -> String {
        let folder = directory.hasPrefix("/") ? directory
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(directory)
        let path = (folder as NSString).appendingPathComponent("task-table-\(table.group).json")
        guard FileManager.default.createFile(atPath: path, contents: Data(table.json.serialized())) else {
            throw RealRunError("cannot write the task table \(path)")
        }
        return path
    }

    /// The command line of one worker: `lovage worker` or `celery worker` with the group's settings
    /// as Celery's flags (the per-group task defaults become worker-wide flags), and the group's task
    /// table, from which the worker registers the scenario's task names with their options.
    static func command(for group: WorkerGroupSpec, name: String, scenario: Scenario, brokerURL: RedisURL,
                        taskTable: String, options: RealRunOptions) -> (String, [String]) {
        let defaults = group.taskDefaults
        var common = ["-Q", group.queues.joined(separator: ","), "-c", String(group.concurrency),
                      "--prefetch-multiplier", String(group.prefetchMultiplier), "-n", "\(name)@%h", "-P", "prefork",
                      "-l", "WARNING", "--without-mingle"]
        // No mingle, on either target: the simulator does not model it (a restarted worker starts
        // with a fresh core), and its 1 s BRPOP on the reply queue would pass `waitForFleet`'s
        // readiness check (one BRPOP client per worker) before the worker consumes a task.
        // Task events: the run counts executions from them.
        if options.taskEvents { common.append("-E") }
        if let autoscale = group.autoscale { common += ["--autoscale", "\(autoscale.maxConcurrency),\(autoscale.minConcurrency)"] }
        if let tasks = group.maxTasksPerChild { common += ["--max-tasks-per-child", String(tasks)] }
        if let kib = group.maxMemoryPerChildKiB { common += ["--max-memory-per-child", String(kib)] }
        if let limit = defaults.timeLimit { common += ["--time-limit", String(limit.seconds)] }
        if let limit = defaults.softTimeLimit { common += ["--soft-time-limit", String(limit.seconds)] }
        switch options.target {
        case .lovage:
            var arguments = ["worker", "-b", brokerURL.absoluteString] + common + ["--tasks-from", taskTable]
            arguments += ["--visibility-timeout", String(scenario.broker.visibilityTimeout.seconds),
                          "--priority-steps", scenario.broker.prioritySteps.map(String.init).joined(separator: ","),
                          "--queue-order-strategy", scenario.broker.queueOrderStrategy.rawValue]
            if defaults.acksLate { arguments.append("--acks-late") }
            if defaults.rejectOnWorkerLost { arguments.append("--reject-on-worker-lost") }
            if defaults.trackStarted { arguments.append("--track-started") }
            return (options.lovageExecutable, arguments)
        case .celery:
            // acks_late and the other task defaults have no worker flag in Celery: lovage_synthetic.py
            // reads them, and the task table, from the environment (see `Member.environment`).
            return (options.pythonExecutable, ["-m", "celery", "-A", "lovage_synthetic", "worker"] + common)
        }
    }

    var names: [String] { lock.withLock { members.map(\.name) } }

    var aliveCount: Int { lock.withLock { members.filter { $0.process?.isRunning == true }.count } }

    /// Starts the named worker (again, after a kill); its output is appended to `<name>.log`.
    func start(_ name: String) throws {
        try lock.withLock {
            guard let index = members.firstIndex(where: { $0.name == name }) else { return }
            if let process = members[index].process, process.isRunning {
                logger.info("fleet: not starting \(name): still running (pid \(process.processIdentifier))")
                return
            }
            let logPath = (logDirectory as NSString).appendingPathComponent("\(name).log")
            let process: Process
            do {
                process = try LoggedProcess.launch(executable: members[index].executable, arguments: members[index].arguments,
                                                   environment: environment.merging(members[index].environment) { _, member in member },
                                                   directory: workingDirectory, logPath: logPath, name: name, logger: logger)
            } catch { throw RealRunError("cannot start worker \(name) (\(members[index].executable)): \(error)") }
            members[index].process = process
        }
    }

    /// Starts every worker that starts with the run.
    func startAll() throws {
        for name in lock.withLock({ members.filter(\.startsWithRun).map(\.name) }) { try start(name) }
    }

    /// How many workers start with the run (what start-up waits for).
    var initialCount: Int { lock.withLock { members.filter(\.startsWithRun).count } }

    /// The names of one group's workers, in order (for a fleet scaler).
    func names(ofGroup group: Int) -> [String] { lock.withLock { members.filter { $0.group == group }.map(\.name) } }

    func isRunning(_ name: String) -> Bool { lock.withLock { members.first { $0.name == name }?.process?.isRunning == true } }

    /// The running worker's process id, nil when it is not running.
    func processIdentifier(_ name: String) -> Int32? {
        lock.withLock {
            guard let process = members.first(where: { $0.name == name })?.process, process.isRunning else { return nil }
            return process.processIdentifier
        }
    }

    /// The pool children a worker started (read from /proc, so only its own).
    static func children(of pid: Int32) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { Int32($0) }
    }

    /// SIGKILL: the worker and its children die at once (a crash, an OOM kill). Returns once the
    /// worker is reaped (1 s at most), so whoever reads `isRunning` next sees it gone, as the simulator
    /// does at the same instant: a fleet scaler polling right after a grace-period kill may start it
    /// again at once, and a fault's restart is not refused for a process that is already dead.
    func kill(_ name: String) {
        signal(name, SIGKILL, andChildren: true)
        guard let process = lock.withLock({ members.first(where: { $0.name == name })?.process }) else { return }
        let deadline = Date().addingTimeInterval(1)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
    }

    /// SIGTERM: a warm shutdown.
    func stop(_ name: String) {
        signal(name, SIGTERM, andChildren: false)
    }

    /// Warm shutdown of every worker, then SIGKILL for any still running after `graceSeconds`.
    func stopAll(graceSeconds: Double = 15) {
        let running = lock.withLock { members.compactMap { $0.process }.filter(\.isRunning) }
        for process in running { Glibc.kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(graceSeconds)
        while running.contains(where: \.isRunning), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        for process in running where process.isRunning {
            killTree(process.processIdentifier)
        }
        for process in running { process.waitUntilExit() }
    }

    private func signal(_ name: String, _ number: Int32, andChildren: Bool) {
        guard let process = lock.withLock({ members.first(where: { $0.name == name })?.process }), process.isRunning else { return }
        if andChildren {
            killTree(process.processIdentifier)
        } else {
            Glibc.kill(process.processIdentifier, number)
        }
        logger.info("fault: \(number == SIGKILL ? "SIGKILL" : "SIGTERM") \(name) (pid \(process.processIdentifier))")
    }

    /// SIGKILL a worker and the pool children it started.
    private func killTree(_ pid: Int32) {
        let children = Self.children(of: pid)
        Glibc.kill(pid, SIGKILL)
        for child in children { Glibc.kill(child, SIGKILL) }
    }
}
