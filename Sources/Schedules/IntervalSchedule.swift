/// Celery's `schedule(run_every, relative)` (celery/schedules.py): due `run_every` after the last
/// run; with `relative`, due at the clock boundary of the interval's resolution (a whole minute,
/// hour or day on the app's wall clock) at or before that, never at or before the last run —
/// `celery.utils.time.remaining`, DST handling included.
public struct IntervalSchedule: Sendable, Equatable {
    public let everyMicros: Int64
    public let relative: Bool

    public init(everyMicros: Int64, relative: Bool = false) {
        self.everyMicros = everyMicros
        self.relative = relative
    }

    static let minute: Int64 = 60_000_000, hour: Int64 = 3_600_000_000, day: Int64 = 86_400_000_000

    /// `remaining_estimate(last_run_at)`: microseconds from `now` to the next due time (negative
    /// when it has passed).
    public func remainingMicros(lastRun: Int64, now: Int64, zone: ScheduleZone) -> Int64 {
        dueMicros(lastRun: lastRun, zone: zone) - now
    }

    /// The instant `remaining` counts to.
    public func dueMicros(lastRun start: Int64, zone: ScheduleZone) -> Int64 {
        guard relative else { return start + everyMicros }
        let startWall = zone.wallTime(atUTCMicros: start)
        // Day-resolution relative schedules advance by calendar days on the wall clock.
        let endWall = everyMicros >= Self.day ? startWall.addingWallMicros(everyMicros)
                                              : zone.wallTime(atUTCMicros: start + everyMicros)
        var candidates = endDates(endWall, zone: zone)
        if everyMicros >= Self.day {
            return candidates.filter { $0 > start }.min() ?? zone.utcMicros(of: endWall)
        }
        let endUTC = start + everyMicros
        let beforeEnd = candidates.filter { $0 <= endUTC }
        var rounded = beforeEnd.max() ?? candidates.min()!
        if everyMicros >= Self.minute && rounded <= start {
            // A partial-hour fall-back can put the rounded boundary before the start: consider the
            // next clock boundary and the calendar one too, both occurrences of each.
            let unit = everyMicros >= Self.hour ? Self.hour : Self.minute
            candidates += endDates(endWall.addingWallMicros(unit), zone: zone)
            candidates += endDates(startWall.addingWallMicros(everyMicros), zone: zone)
            let future = candidates.filter { $0 > start }
            rounded = future.filter { $0 <= endUTC }.max() ?? future.min() ?? endUTC
        }
        return rounded
    }

    /// celery.utils.time `_relative_end_dates`: the UTC readings (fold 0 and 1) of the wall time
    /// rounded down to the interval's resolution, a gap's reading moved past the gap.
    func endDates(_ wall: WallTime, zone: ScheduleZone) -> [Int64] {
        var rounded = wall
        rounded.microsecond = 0
        if everyMicros >= Self.day {
            rounded.hour = 0; rounded.minute = 0; rounded.second = 0
        } else if everyMicros >= Self.hour {
            rounded.minute = 0; rounded.second = 0
        } else if everyMicros >= Self.minute {
            rounded.second = 0
        }
        return [0, 1].map { fold in
            var candidate = rounded
            candidate.fold = fold
            if !zone.exists(candidate) {
                let resolved = zone.resolvingGap(candidate)
                if candidate < resolved { candidate = resolved }
            }
            return zone.utcMicros(of: candidate)
        }
    }

    /// `is_due(last_run_at)`: due when the remaining time is not positive; the next check is the
    /// interval (a relative one: the next boundary from now, or the interval when there is none).
    public func state(lastRun: Int64, now: Int64, zone: ScheduleZone) -> ScheduleState {
        let remaining = max(remainingMicros(lastRun: lastRun, now: now, zone: zone), 0)
        guard remaining == 0 else { return ScheduleState(isDue: false, nextCheckMicros: remaining) }
        var next = max(everyMicros, 0)
        if relative {
            let fromNow = remainingMicros(lastRun: now, now: now, zone: zone)
            if fromNow > 0 { next = fromNow }
        }
        return ScheduleState(isDue: true, nextCheckMicros: next)
    }
}
