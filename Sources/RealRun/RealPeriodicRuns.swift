import Reports
import Scenarios
import Schedules
import WorkerCore

/// A real run's periodic figures, from what its beats did for real: the sends each beat's log
/// recorded, and what the beats could do when — from the processes the run started, killed and
/// stopped, the lock takeovers and losses the beats logged, and the broker outages the run made —
/// judged by the simulator's own `PeriodicRuns`, so both worlds report the same section the same
/// way. Pure: every instant is handed in (unix microseconds on the host's clock) and mapped onto
/// the schedule's true wall clock (`start_at` at the run's start).
struct RealPeriodicRuns {
    /// A task a beat sent, for the run's task figures.
    struct BeatTask: Sendable, Equatable {
        let id: String
        let entry: Int
        /// When the beat logged the send, from the run's start.
        let sentAtRunMicros: Int64
    }

    let schedule: ScenarioSchedule
    /// As judged: a Celery beat's `usesLock` is false whatever the file says (it has no lock).
    let lineup: [ScheduledBeat]
    let duration: TimeSpan
    let runStartUnixMicros: Int64

    /// Host time → the schedule's true wall clock.
    func wall(_ unixMicros: Int64) -> Int64 { schedule.startAtMicros + (unixMicros - runStartUnixMicros) }

    /// `logs[b]` is beat `b`'s events; `outages` the broker's frozen spans (host clock; nil end: to the end).
    func judge(processes: [BeatProcesses.Event], logs: [[BeatLogEvent]], outages: [(from: Int64, to: Int64?)])
        -> (summary: RunSummary.PeriodicSummary, tasks: [BeatTask]) {
        var judge = PeriodicRuns(schedule: schedule, beats: lineup, duration: duration)
        let (sends, tasks) = self.sends(logs)
        judge.sends = sends
        judge.deadlineSkips = deadlineSkips(logs)
        var replay = CoverageReplay(lineup: lineup)
        judge.cover(from: schedule.startAtMicros, replay.state)
        for change in changes(processes: processes, logs: logs, outages: outages) {
            replay.apply(change.what)
            judge.cover(from: wall(change.at), replay.state)
        }
        for index in judge.beats.indices { judge.beats[index].lockTaken = replay.lockTaken[index] }
        return (judge.summary(), tasks)
    }

    /// Each logged send of a known entry within the load (beats send only then, as in the
    /// simulation), and every send with its task id.
    func sends(_ logs: [[BeatLogEvent]]) -> ([PeriodicRuns.Send], [BeatTask]) {
        let names = schedule.spec.entries.map(\.name)
        var sends: [PeriodicRuns.Send] = [], tasks: [BeatTask] = []
        let end = schedule.startAtMicros + duration.microseconds
        for (beat, events) in logs.enumerated() {
            // (entry, when, task name) of this beat's sends still waiting for their id line.
            var open: [(entry: Int, at: Int64, task: String)] = []
            for event in events {
                switch event.kind {
                case .send(let name, let task):
                    guard let entry = names.firstIndex(of: name) else { continue }
                    if wall(event.atUnixMicros) < end { sends.append(PeriodicRuns.Send(entry: entry, beat: beat, atMicros: wall(event.atUnixMicros))) }
                    open.append((entry, event.atUnixMicros, task))
                case .sentID(let task, let id):
                    guard let index = open.lastIndex(where: { $0.task == task }) else { continue }
                    tasks.append(BeatTask(id: id, entry: open[index].entry, sentAtRunMicros: open[index].at - runStartUnixMicros))
                    open.remove(at: index)
                default: continue
                }
            }
        }
        return (sends.sorted { ($0.atMicros, $0.beat) < ($1.atMicros, $1.beat) }, tasks.sorted { $0.sentAtRunMicros < $1.sentAtRunMicros })
    }

    /// The crontab runs a takeover did not catch up: the last due time after the entry's stored
    /// last run up to the beat's clock then (a crontab's due times are instants, the same on every clock).
    func deadlineSkips(_ logs: [[BeatLogEvent]]) -> [(entry: Int, dueMicros: Int64, atMicros: Int64)] {
        var skips: [(entry: Int, dueMicros: Int64, atMicros: Int64)] = []
        for (beat, events) in logs.enumerated() {
            for event in events {
                guard case .deadlineSkip(let name, let lastRun) = event.kind,
                      let entry = schedule.spec.entries.firstIndex(where: { $0.name == name }) else { continue }
                let clock = wall(event.atUnixMicros) + lineup[beat].clockOffsetMicros
                guard let due = schedule.spec.entries[entry].schedule.dueTimes(after: lastRun, through: clock, zone: schedule.spec.zone).last
                else { continue }
                skips.append((entry, due, wall(event.atUnixMicros)))
            }
        }
        return skips
    }

    /// Every change of what the beats could do, in time order (a process change before a log line
    /// of the same instant: a beat's lines come after it started).
    func changes(processes: [BeatProcesses.Event], logs: [[BeatLogEvent]], outages: [(from: Int64, to: Int64?)])
        -> [(at: Int64, what: CoverageReplay.Change)] {
        var all: [(at: Int64, order: Int, what: CoverageReplay.Change)] = []
        for event in processes {
            let what: CoverageReplay.Change = switch event.change {
            case .started: .started(event.beat)
            case .killed: .killed(event.beat)
            case .stopped: .stopped(event.beat)
            }
            all.append((event.atUnixMicros, all.count, what))
        }
        for outage in outages {
            all.append((outage.from, all.count, .brokerDown))
            if let to = outage.to { all.append((to, all.count, .brokerUp)) }
        }
        for (beat, events) in logs.enumerated() {
            for event in events {
                switch event.kind {
                case .lockTaken: all.append((event.atUnixMicros, all.count, .lockTaken(beat)))
                case .lockLost: all.append((event.atUnixMicros, all.count, .lockLost(beat)))
                default: continue
                }
            }
        }
        return all.sorted { ($0.at, $0.order) < ($1.at, $1.order) }.map { ($0.at, $0.what) }
    }
}

/// The beats' state as the simulator's `noteBeatCoverage` reads it, replayed from real changes:
/// which beats are alive, who holds the lock, who held it last and whether it was killed holding it.
struct CoverageReplay {
    enum Change: Sendable, Equatable {
        case started(Int), killed(Int), stopped(Int), lockTaken(Int), lockLost(Int), brokerDown, brokerUp
    }

    let lineup: [ScheduledBeat]
    var alive: [Bool]
    var holder: Int?
    var lastHolder: Int?
    var killedHolder: Int?
    var brokerDown = false
    var lockTaken: [Int]

    init(lineup: [ScheduledBeat]) {
        self.lineup = lineup
        alive = lineup.map { _ in false }
        lockTaken = lineup.map { _ in 0 }
    }

    mutating func apply(_ change: Change) {
        switch change {
        case .started(let beat): alive[beat] = true
        case .killed(let beat):
            alive[beat] = false
            // SIGKILL releases nothing: the lock lapses only at its expiry.
            if holder == beat { killedHolder = beat; holder = nil }
        case .stopped(let beat):
            alive[beat] = false
            if holder == beat { holder = nil; killedHolder = nil }
        case .lockTaken(let beat):
            holder = beat; lastHolder = beat; killedHolder = nil
            lockTaken[beat] += 1
        case .lockLost(let beat): if holder == beat { holder = nil }
        case .brokerDown: brokerDown = true
        case .brokerUp: brokerDown = false
        }
    }

    var state: PeriodicRuns.Coverage {
        let live = lineup.indices.filter { alive[$0] }
        if live.isEmpty { return .noBeat }
        if brokerDown { return .brokerDown }
        if live.contains(where: { !lineup[$0].usesLock }) { return .sending }
        if let holder, alive[holder] { return .sending }
        return .lockLapse(previous: lastHolder.map { lineup[$0].name } ?? "none",
                          killed: lastHolder != nil && lastHolder == killedHolder)
    }
}
