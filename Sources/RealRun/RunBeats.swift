import Foundation
import Logging
import RedisClient
import Reports
import Scenarios
import Schedules
import WorkerCore
import Workload

/// A real run's schedule from start to figures: the schedule file, the beat processes, the beat
/// faults carried out on the run's fault timeline, the broker's outages (what no beat could do
/// then), and at the end of the load the beats stopped, their logs read and judged
/// (`RealPeriodicRuns`), and the ids of the tasks they sent handed to the result collector, so the
/// run's task figures count them as the simulator's do.
final class RunBeats: @unchecked Sendable {
    let processes: BeatProcesses
    private let scenario: Scenario
    private let options: RealRunOptions
    private var runStart = Date()
    private var outages: [(from: Int64, to: Int64?)] = []
    /// The beats were stopped at the end of the load (or the run's end) and judged.
    private(set) var ended = false
    private(set) var periodic: RunSummary.PeriodicSummary?
    /// The beats' tasks as `RealRunSummary` counts them, in the collector's order.
    private(set) var tasks: [(taskIndex: Int, sentMicros: Int64, countdown: TimeSpan?)] = []

    /// nil without a schedule. `scenario` is the scenario as it runs (time-scaled).
    init?(scenario: Scenario, brokerURL: RedisURL, options: RealRunOptions) {
        guard scenario.schedule != nil else { return nil }
        self.scenario = scenario
        self.options = options
        processes = BeatProcesses(scenario: scenario, brokerURL: brokerURL, options: options)
    }

    /// Writes the schedule file and starts the schedule's beats, at the run's start.
    func start(at runStart: Date, slowWindows: [(start: TimeSpan, end: TimeSpan, factor: Double, pattern: String)]) throws {
        self.runStart = runStart
        let path = try BeatScheduleFile.write(BeatScheduleFile.json(scenario: scenario, start: runStart, slowWindows: slowWindows),
                                              in: options.logDirectory)
        try processes.startAll(schedulePath: path, runStart: runStart)
        options.logger.info("beat: \(processes.lineup.filter(\.startsWithRun).count) beat(s) started (\(options.target == .lovage ? "lovage beat" : "celery beat"), keys \(processes.keyPrefix)); schedule \(path)")
    }

    /// A beat fault of the run's timeline: `kill_beat` SIGKILLs, `restart_beat` SIGTERMs (and its
    /// end starts it again), `start_beat` starts one. After the load nothing starts.
    func apply(_ action: FaultTimeline.Action) {
        switch action {
        case .start(.killBeat(let number)): if let index = processes.index(ofNumber: number) { processes.kill(index) }
        case .start(.restartBeat(let number, _)): if let index = processes.index(ofNumber: number) { processes.stop(index) }
        case .end(.restartBeat(let number, _)), .start(.startBeat(let number, _)):
            guard !ended, let index = processes.index(ofNumber: number) else { return }
            do { try processes.start(index); options.logger.info("fault: started \(processes.lineup[index].name)") }
            catch { options.logger.info("fault: \(error)") }
        default: break
        }
    }

    /// The run froze (or resumed) the broker: no beat can send meanwhile.
    func brokerFrozen(_ frozen: Bool) {
        let now = BeatProcesses.nowMicros()
        if frozen { outages.append((now, nil)) } else if let last = outages.indices.last, outages[last].to == nil { outages[last].to = now }
    }

    /// The end of the load: every beat stops (as the simulated beats stop there), the logs are
    /// judged, and the beats' tasks go to the collector. Only the first call does anything.
    func endLoad(collector: ResultCollector) {
        guard !ended else { return }
        ended = true
        processes.stopAll(why: "beat: end of the load")
        let logs = processes.lineup.indices.map { index in
            BeatLog.events(in: (try? String(contentsOfFile: processes.logPath(ofBeat: index), encoding: .utf8)) ?? "")
        }
        // Celery beat has no lock: each of its beats sends whatever the others do.
        let lineup = processes.lineup.map { beat in
            ScheduledBeat(number: beat.number, spec: beat.spec, usesLock: options.target == .lovage && beat.usesLock,
                          startsWithRun: beat.startsWithRun)
        }
        guard let schedule = scenario.schedule else { return }
        let judged = RealPeriodicRuns(schedule: schedule, lineup: lineup, duration: scenario.duration,
                                      runStartUnixMicros: Int64(runStart.timeIntervalSince1970 * 1_000_000))
            .judge(processes: processes.events, logs: logs, outages: outages)
        periodic = judged.summary
        let sends = Self.sends(of: scenario)
        tasks = judged.tasks.map { task in (sends[task.entry].taskIndex, task.sentAtRunMicros, sends[task.entry].send.countdown) }
        collector.addBeatTasks(ids: judged.tasks.map(\.id))
    }

    /// Each entry's task type and send, resolved as the schedule file is written.
    static func sends(of scenario: Scenario) -> [(taskIndex: Int, send: PublishTemplate.BeatSend)] {
        let router = TaskRouter(rules: scenario.routes.map { TaskRouter.Rule(pattern: $0.pattern, queue: $0.queue) })
        return (scenario.schedule?.spec.entries ?? []).map { entry in
            let index = scenario.tasks.firstIndex { $0.name == entry.task } ?? 0
            return (index, PublishTemplate(scenario.tasks[index], router: router).beatSend(entry.options))
        }
    }
}
