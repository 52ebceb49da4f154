/// Celery's `crontab` (celery/schedules.py): due at the wall-clock minutes its five fields match
/// in the app's timezone. Day of month and day of week must both match (Celery's AND, not cron's
/// OR). The next run after a last run is found as `crontab.remaining_delta` finds it — a
/// fast-forward of the last run's wall time (`ffwd`), then converted to UTC with the last run's
/// fold reset to 0 by ffwd's final day addition — so DST days give Celery's answers: a skipped
/// 02:30 runs at 03:30, a repeated hour's runs happen on its first reading only.
public struct CrontabSchedule: Sendable, Equatable {
    public let minute: CrontabField
    public let hour: CrontabField
    public let dayOfWeek: CrontabField
    public let dayOfMonth: CrontabField
    public let monthOfYear: CrontabField
    /// The fields as written; `remaining_delta` branches on whether both day-of-month and
    /// month-of-year were written as `*` exactly.
    public let text: (minute: String, hour: String, dayOfWeek: String, dayOfMonth: String, monthOfYear: String)

    public init(minute: String = "*", hour: String = "*", dayOfWeek: String = "*", dayOfMonth: String = "*",
                monthOfYear: String = "*") throws(CrontabError) {
        self.minute = try CrontabField(minute, kind: .minute)
        self.hour = try CrontabField(hour, kind: .hour)
        self.dayOfWeek = try CrontabField(dayOfWeek, kind: .dayOfWeek)
        self.dayOfMonth = try CrontabField(dayOfMonth, kind: .dayOfMonth)
        self.monthOfYear = try CrontabField(monthOfYear, kind: .monthOfYear)
        text = (minute, hour, dayOfWeek, dayOfMonth, monthOfYear)
        // Celery's CRON_INVALID_DATE: a day that no chosen month has (longest February counted).
        let dayExists = self.monthOfYear.values.contains { month in
            self.dayOfMonth.values.contains { $0 <= WallTime.daysInMonth(2000, month) }
        }
        guard dayExists else {
            throw CrontabError(.dayOfMonth, dayOfMonth, "never occurs in month_of_year \"\(monthOfYear)\"")
        }
    }

    /// `crontab.from_string`: "minute hour day_of_month month_of_year day_of_week".
    public init(expression: String) throws(CrontabError) {
        let fields = expression.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else {
            throw CrontabError(.minute, expression,
                               "a crontab has 5 fields (minute hour day_of_month month_of_year day_of_week), this has \(fields.count)")
        }
        try self.init(minute: fields[0], hour: fields[1], dayOfWeek: fields[4], dayOfMonth: fields[2], monthOfYear: fields[3])
    }

    public static func == (a: CrontabSchedule, b: CrontabSchedule) -> Bool {
        a.minute == b.minute && a.hour == b.hour && a.dayOfWeek == b.dayOfWeek && a.dayOfMonth == b.dayOfMonth
            && a.monthOfYear == b.monthOfYear && a.text.dayOfMonth == b.text.dayOfMonth && a.text.monthOfYear == b.text.monthOfYear
    }

    /// The crontab in cron's order, as written.
    public var expression: String { "\(text.minute) \(text.hour) \(text.dayOfMonth) \(text.monthOfYear) \(text.dayOfWeek)" }

    /// `remaining_estimate(last_run_at)`: microseconds from `now` to the first run after `lastRun`
    /// (negative when it has passed).
    public func remainingMicros(lastRun: Int64, now: Int64, zone: ScheduleZone) -> Int64 {
        nextRunMicros(after: lastRun, zone: zone) - now
    }

    /// The instant of the first run after `lastRun` (`last_run_at + remaining_delta`).
    ///
    /// One departure from Celery: when the last run is the second reading of a repeated hour
    /// (clocks went back), Celery's fold-0 answer is the *first* reading, before the last run, so
    /// its beat sends the entry on every tick until the hour's last matching minute. Here the
    /// second reading is taken in that case, so the run comes after the last one.
    public func nextRunMicros(after lastRun: Int64, zone: ScheduleZone) -> Int64 {
        let last = zone.wallTime(atUTCMicros: lastRun)
        var next = fastForward(last)
        let first = zone.utcMicros(of: next)
        guard first <= lastRun else { return first }
        next.fold = 1
        return max(first, zone.utcMicros(of: next))
    }

    /// `remaining_delta`'s `ffwd` applied to the last run's wall time.
    func fastForward(_ last: WallTime) -> WallTime {
        let weekday = last.cronWeekday
        let thisDate = monthOfYear.values.contains(last.month) && dayOfMonth.values.contains(last.day)
            && dayOfWeek.values.contains(weekday)
        var next = last
        next.second = 0
        next.microsecond = 0
        // ffwd always ends with `+ timedelta(days=...)`, which resets fold: a run in a repeated
        // hour is found on its first reading, as Celery finds it.
        next.fold = 0
        if thisDate && hour.values.contains(last.hour) && last.minute < minute.values.last! {
            next.minute = minute.values.first { $0 > last.minute }!
            return next
        }
        next.minute = minute.values.first!
        if thisDate && last.hour < hour.values.last! {
            next.hour = hour.values.first { $0 > last.hour }!
            return next
        }
        next.hour = hour.values.first!
        if text.dayOfMonth == "*" && text.monthOfYear == "*" {
            let nextDay = dayOfWeek.values.first { $0 > weekday } ?? dayOfWeek.values.first!
            let addWeek = nextDay == weekday
            // ffwd(weekday=(next_day - 1) % 7): Python's Monday-first weekday of the next day.
            let target = ((nextDay - 1) % 7 + 7) % 7
            let ahead = (7 - next.pythonWeekday + target) % 7
            return next.addingDays(ahead + (addWeek ? 7 : 0))
        }
        let (year, month, day) = nextDate(after: last, hour: next.hour, minute: next.minute)
        next.year = year
        next.month = month
        // ffwd's `min(monthrange(year, month)[1], day)`: always the day itself here.
        next.day = min(WallTime.daysInMonth(year, month), day)
        return next
    }

    /// `_delta_to_next`: the first date on or after the last run's whose month, day of month and
    /// day of week all match, with the time `hour:minute` not before the last run.
    func nextDate(after last: WallTime, hour: Int, minute: Int) -> (Int, Int, Int) {
        let days = dayOfMonth.values, months = monthOfYear.values
        var year = last.year
        var dom: Int
        var moy: Int
        if months.contains(last.month) {
            dom = days.firstIndex { $0 > last.day } ?? days.count          // bisect(days, day)
            moy = months.firstIndex { $0 >= last.month } ?? months.count   // bisect_left(months, month)
        } else {
            dom = 0
            moy = months.firstIndex { $0 > last.month } ?? months.count
            if moy == months.count { moy = 0 }
        }
        func rollOver() {
            for _ in 0..<2000 {
                let stale = dom == days.count
                    || days[dom] > WallTime.daysInMonth(year, months[moy])
                    || WallTime(year: year, month: months[moy], day: days[dom], hour: hour, minute: minute) < last
                guard stale else { return }
                dom = 0
                moy += 1
                if moy == months.count { moy = 0; year += 1 }
            }
        }
        rollOver()
        while !dayOfWeek.values.contains(WallTime.cronWeekday(year, months[moy], days[dom])) {
            dom += 1
            rollOver()
        }
        return (year, months[moy], days[dom])
    }
}
