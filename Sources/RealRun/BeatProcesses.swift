import Foundation
import Glibc
import Logging
import RedisClient
import Scenarios

/// A real run's beats: one `lovage beat` (or `celery beat`) process per beat of the schedule,
/// named beat-1, beat-2, … as the simulator names them (`Scenario.scheduledBeats`), each reading
/// the run's schedule file, with its log in the run's logs folder (`beat-N.log`, continued across
/// restarts). It records when each process started, was killed or stopped: with the beats' own log
/// lines these say what the beats could do when (`RealPeriodicRuns`).
///
/// Each beat's wall clock is shifted so that it reads the schedule's `start_at` plus the beat's own
/// `clock_offset` at the run's start (`--clock-offset`, or `celery beat`'s schedules' `nowfun`):
/// crontabs meet the same wall-clock minutes as in the simulation. The messages' eta and expires
/// stay on the true clock, as the simulator stamps them.
final class BeatProcesses: @unchecked Sendable {
    /// `lovage beat --lock-timeout`'s floor.
    static let minimumLockTimeoutMicros: Int64 = 300_000

    enum Change: Sendable, Equatable { case started, killed, stopped }

    /// A process change of the beat at `beat` (index in `lineup`), on the host's clock.
    struct Event: Sendable, Equatable {
        let atUnixMicros: Int64
        let beat: Int
        let change: Change
    }

    let lineup: [ScheduledBeat]
    private let schedule: ScenarioSchedule
    private let target: RealRunOptions.Target
    private let brokerURL: RedisURL
    private let options: RealRunOptions
    private let prioritySteps: [Int]
    /// The lock and last-run keys of this run's beats (`--key-prefix`), so runs on one broker never share them.
    let keyPrefix: String
    private let lock = NSLock()
    private var processes: [Process?]
    private var recorded: [Event] = []
    private var schedulePath = ""
    private var runStartUnixMicros: Int64 = 0

    init(scenario: Scenario, brokerURL: RedisURL, options: RealRunOptions) {
        lineup = scenario.scheduledBeats
        schedule = scenario.schedule ?? ScenarioSchedule(spec: .init())
        target = options.target
        self.brokerURL = brokerURL
        self.options = options
        prioritySteps = scenario.broker.prioritySteps
        keyPrefix = "lovage:beat:run-\(ProcessInfo.processInfo.processIdentifier)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        processes = Array(repeating: nil, count: lineup.count)
    }

    var isEmpty: Bool { lineup.isEmpty }

    /// Every process change so far, in the order they happened.
    var events: [Event] { lock.withLock { recorded } }

    func logPath(ofBeat index: Int) -> String {
        (options.logDirectory as NSString).appendingPathComponent("\(lineup[index].name).log")
    }

    /// Starts the schedule's beats at the run's start (`start_beat` ones wait for their fault), in
    /// lineup order, each once the one before has settled (`waitUntilSettled`): the simulator starts
    /// its beats in that order, so beat-1 takes the lock; started together, whichever process
    /// happened to come up first took it, and a fault aimed at the holder hit a standby.
    func startAll(schedulePath: String, runStart: Date) throws {
        lock.withLock {
            self.schedulePath = schedulePath
            runStartUnixMicros = Int64(runStart.timeIntervalSince1970 * 1_000_000)
        }
        let starting = lineup.indices.filter { lineup[$0].startsWithRun }
        for (position, index) in starting.enumerated() {
            try start(index)
            if position + 1 < starting.count { waitUntilSettled(index) }
        }
    }

    /// The longest wait for a starting beat to settle before the next one starts anyway.
    static let settleLimitSeconds: Double = 5

    /// Waits (at most `settleLimitSeconds`) until beat `index`'s log says it holds the lock or
    /// stands by (a `lovage beat` with the lock), or that it started (`celery beat`, or no lock).
    private func waitUntilSettled(_ index: Int) {
        let markers = target == .lovage && lineup[index].usesLock
            ? ["beat: holding the lock", "beat: standby"] : ["beat: Starting..."]
        let path = logPath(ofBeat: index)
        let deadline = Date().addingTimeInterval(Self.settleLimitSeconds)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if markers.contains(where: { text.contains($0) }) { return }
            if lock.withLock({ processes[index]?.isRunning }) != true { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
        options.logger.warning("beat: \(lineup[index].name) did not settle within \(Int(Self.settleLimitSeconds)) s; starting the next beat anyway")
    }

    func index(ofNumber number: Int) -> Int? { lineup.firstIndex { $0.number == number } }

    /// Starts beat `index` (again, after a kill or stop); a running one is left alone.
    func start(_ index: Int) throws {
        try lock.withLock {
            if let process = processes[index], process.isRunning {
                options.logger.info("beat: not starting \(lineup[index].name): still running (pid \(process.processIdentifier))")
                return
            }
            let (executable, arguments, environment) = command(for: index)
            let process: Process
            do {
                process = try LoggedProcess.launch(executable: executable, arguments: arguments, environment: environment,
                                                   directory: options.celeryModuleDirectory, logPath: logPath(ofBeat: index),
                                                   name: lineup[index].name, logger: options.logger)
            } catch { throw RealRunError("cannot start \(lineup[index].name) (\(executable)): \(error)") }
            processes[index] = process
            recorded.append(Event(atUnixMicros: Self.nowMicros(), beat: index, change: .started))
        }
    }

    /// SIGKILL: the beat keeps the lock until it expires. Returns once the process is reaped.
    func kill(_ index: Int) {
        signal(index, SIGKILL, change: .killed, why: "fault")
    }

    /// SIGTERM: the beat releases the lock and exits; returns once it has (SIGKILL after 10 s).
    func stop(_ index: Int, why: String = "fault") {
        signal(index, SIGTERM, change: .stopped, why: why)
    }

    /// Stops every running beat (the end of the load, or the run's clean-up).
    func stopAll(why: String) {
        for index in lineup.indices { stop(index, why: why) }
    }

    private func signal(_ index: Int, _ number: Int32, change: Change, why: String) {
        guard let process = lock.withLock({ processes[index] }), process.isRunning else { return }
        Glibc.kill(process.processIdentifier, number)
        lock.withLock { recorded.append(Event(atUnixMicros: Self.nowMicros(), beat: index, change: change)) }
        options.logger.info("\(why): \(number == SIGKILL ? "SIGKILL" : "SIGTERM") \(lineup[index].name) (pid \(process.processIdentifier))")
        let deadline = Date().addingTimeInterval(number == SIGKILL ? 1 : 10)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The process of beat `index`: its executable, arguments and environment.
    func command(for index: Int) -> (String, [String], [String: String]) {
        let beat = lineup[index]
        // The beat's clock at the run's start reads start_at plus its own offset.
        let offsetMicros = schedule.startAtMicros + beat.clockOffsetMicros - runStartUnixMicros
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "UTC"   // log lines' times are read as UTC
        switch target {
        case .lovage:
            var arguments = ["beat", "-b", brokerURL.absoluteString, "--schedule", schedulePath, "--key-prefix", keyPrefix,
                             "--lock-timeout", "\(schedule.lockTimeoutMicros)us", "--max-interval", "\(schedule.maxIntervalMicros)us",
                             "--clock-offset=\(offsetMicros)us", "--message-clock-offset=0us",
                             "--priority-steps", prioritySteps.map(String.init).joined(separator: ","), "-l", "DEBUG"]
            if !beat.usesLock { arguments.append("--no-lock") }
            return (options.lovageExecutable, arguments, environment)
        case .celery:
            // interop/beat_app.py builds beat_schedule from the same file; Celery beat has no lock.
            environment["CELERY_BROKER_URL"] = brokerURL.absoluteString
            environment["PYTHONPATH"] = options.celeryModuleDirectory
            environment["BEAT_SCHEDULE_JSON"] = schedulePath
            environment["BEAT_CLOCK_OFFSET_SECONDS"] = String(Double(offsetMicros) / 1_000_000)
            environment["BEAT_MAX_INTERVAL_SECONDS"] = String(Double(schedule.maxIntervalMicros) / 1_000_000)
            // A beat of the run's start counts the run's start as its entries' last run, as the
            // simulator's beats (started at 0) do: Python takes 0.5–1 s to reach "beat: Starting...",
            // and an interval's first send one interval after that was judged a missed run.
            if beat.startsWithRun { environment["BEAT_RUN_START_UNIX_SECONDS"] = String(Double(runStartUnixMicros) / 1_000_000) }
            environment["LOVAGE_PRIORITY_STEPS"] = prioritySteps.map(String.init).joined(separator: ",")
            // Its own persistent schedule (Celery's shelve of last runs), as on a host of its own.
            let shelve = (options.logDirectory as NSString).appendingPathComponent("\(beat.name)-schedule")
            let absolute = shelve.hasPrefix("/") ? shelve : FileManager.default.currentDirectoryPath + "/" + shelve
            return (options.pythonExecutable, ["-m", "celery", "-A", "beat_app", "-b", brokerURL.absoluteString, "beat",
                                               "-s", absolute, "--loglevel", "DEBUG"], environment)
        }
    }

    static func nowMicros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }
}
