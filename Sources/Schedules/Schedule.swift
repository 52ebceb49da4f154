/// `is_due`'s answer (celery/schedules.py `schedstate`): whether to send now, and how long until
/// the schedule should be asked again.
public struct ScheduleState: Sendable, Equatable {
    public let isDue: Bool
    public let nextCheckMicros: Int64
    public init(isDue: Bool, nextCheckMicros: Int64) { self.isDue = isDue; self.nextCheckMicros = nextCheckMicros }
}

/// One periodic entry's schedule: an interval or a crontab, in the app's timezone. Pure: every
/// instant (the last run, now) is an argument — `lovage beat`, `worker -B` and the simulator
/// give it their own clock, real or virtual.
public enum Schedule: Sendable, Equatable {
    case every(IntervalSchedule)
    case crontab(CrontabSchedule)

    /// `remaining_estimate(last_run_at)`: from now to the next due time after the last run.
    public func remainingMicros(lastRun: Int64, now: Int64, zone: ScheduleZone) -> Int64 {
        switch self {
        case .every(let interval): return interval.remainingMicros(lastRun: lastRun, now: now, zone: zone)
        case .crontab(let crontab): return crontab.remainingMicros(lastRun: lastRun, now: now, zone: zone)
        }
    }

    /// `is_due(last_run_at)`. `startingDeadlineMicros` is Celery's `beat_cron_starting_deadline`
    /// (crontabs only): a missed run older than it is not caught up.
    public func state(lastRun: Int64, now: Int64, zone: ScheduleZone, startingDeadlineMicros: Int64? = nil) -> ScheduleState {
        switch self {
        case .every(let interval):
            return interval.state(lastRun: lastRun, now: now, zone: zone)
        case .crontab(let crontab):
            let remaining = crontab.remainingMicros(lastRun: lastRun, now: now, zone: zone)
            var due = remaining <= 0
            var passedDeadline = false
            if let deadline = startingDeadlineMicros, remaining < 0 {
                // No run in [now − deadline, now]: the missed one is too stale to send.
                let since = now - deadline - 1
                if crontab.remainingMicros(lastRun: since, now: now, zone: zone) > 0 {
                    passedDeadline = true
                    due = false
                }
            }
            if due || passedDeadline {
                return ScheduleState(isDue: due, nextCheckMicros: max(crontab.remainingMicros(lastRun: now, now: now, zone: zone), 0))
            }
            return ScheduleState(isDue: false, nextCheckMicros: max(remaining, 0))
        }
    }

    /// The due times in (`after`, `through`]: what a beat that last ran at `after` would have sent
    /// by `through` had it been up — for reporting the runs a downtime missed, and for the
    /// invariants' missed-run check. At most `limit` are listed.
    public func dueTimes(after: Int64, through: Int64, zone: ScheduleZone, limit: Int = 10_000) -> [Int64] {
        var times: [Int64] = []
        var last = after
        while times.count < limit {
            let next: Int64
            switch self {
            case .every(let interval): next = interval.dueMicros(lastRun: last, zone: zone)
            case .crontab(let crontab): next = crontab.nextRunMicros(after: last, zone: zone)
            }
            guard next <= through, next > last else { break }
            times.append(next)
            last = next
        }
        return times
    }
}
