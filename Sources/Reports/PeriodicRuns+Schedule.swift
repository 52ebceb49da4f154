import Scenarios
import Schedules
import WorkerCore

extension PeriodicRuns {
    /// The judge for a scenario's schedule and beats, before any send: the window from `start_at`
    /// to the end of the load (`duration`), each entry's cadence, and each beat's lock and clock.
    /// The simulator and a real run both start from it, so the same schedule is judged by the same
    /// due times in both worlds.
    public init(schedule: ScenarioSchedule, beats: [ScheduledBeat], duration: TimeSpan) {
        let spec = schedule.spec
        let start = schedule.startAtMicros, end = start + duration.microseconds
        // Sends on an offset clock may belong to due times just outside the window.
        let behind = max(0, -(beats.map(\.clockOffsetMicros).min() ?? 0))
        let ahead = max(0, beats.map(\.clockOffsetMicros).max() ?? 0)
        let entries = spec.entries.map { entry -> Entry in
            switch entry.schedule {
            case .every(let interval):
                return Entry(name: entry.name, task: entry.task,
                             schedule: "every \(DurationText.format(TimeSpan(microseconds: interval.everyMicros)))"
                                 + (interval.relative ? " (relative)" : ""),
                             cadence: .interval(everyMicros: interval.everyMicros))
            case .crontab(let crontab):
                let due = entry.schedule.dueTimes(after: start - behind - 1, through: end + ahead, zone: spec.zone, limit: 5_000_000)
                return Entry(name: entry.name, task: entry.task, schedule: "crontab \(crontab.expression)", cadence: .dueTimes(due))
            }
        }
        self.init(windowStartMicros: start, windowEndMicros: end, entries: entries,
                  beats: beats.map { Beat(name: $0.name, lock: $0.usesLock, clockOffsetMicros: $0.clockOffsetMicros) })
    }
}
