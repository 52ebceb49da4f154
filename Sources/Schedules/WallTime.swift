import CeleryWire

/// A wall-clock reading in some zone, to the microsecond, with PEP 495's `fold` (0 for the first of
/// two readings a fall-back repeats, 1 for the second): the form Celery's schedules compute in
/// (celery/schedules.py works on aware `datetime`s in the app's timezone).
///
/// Its arithmetic is Python's: adding days moves the wall clock and resets `fold` to 0, as
/// `datetime + timedelta` does; replacing fields keeps `fold`, as `datetime.replace` does.
/// Comparisons between two readings of one zone are by wall clock alone, fold ignored, as
/// Python compares aware datetimes that share a tzinfo.
public struct WallTime: Sendable, Equatable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var microsecond: Int
    public var fold: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0,
                microsecond: Int = 0, fold: Int = 0) {
        self.year = year; self.month = month; self.day = day
        self.hour = hour; self.minute = minute; self.second = second; self.microsecond = microsecond
        self.fold = fold
    }

    /// The reading `micros` after 1970-01-01 00:00 on this wall clock (as if it were UTC).
    public init(wallMicros micros: Int64, fold: Int = 0) {
        let microsPerDay: Int64 = 86_400_000_000
        let days = micros >= 0 ? micros / microsPerDay : -((-micros + microsPerDay - 1) / microsPerDay)
        let within = micros - days * microsPerDay
        let (y, m, d) = Self.civil(fromDays: days)
        year = y; month = m; day = d
        hour = Int(within / 3_600_000_000)
        minute = Int(within / 60_000_000 % 60)
        second = Int(within / 1_000_000 % 60)
        microsecond = Int(within % 1_000_000)
        self.fold = fold
    }

    /// Microseconds after 1970-01-01 00:00 on this wall clock (as if it were UTC).
    public var wallMicros: Int64 {
        let days = Self.days(fromCivil: year, month, day)
        return ((days * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000_000 + Int64(second) * 1_000_000 + Int64(microsecond)
    }

    /// Python's `isoweekday() % 7`: Sunday 0 … Saturday 6, as crontab's `day_of_week` counts.
    public var cronWeekday: Int { Self.cronWeekday(year, month, day) }

    /// Python's `weekday()`: Monday 0 … Sunday 6.
    public var pythonWeekday: Int { (cronWeekday + 6) % 7 }

    /// `self + timedelta(days:)`: the wall clock moves, fold becomes 0.
    public func addingDays(_ days: Int) -> WallTime {
        WallTime(wallMicros: wallMicros + Int64(days) * 86_400_000_000, fold: 0)
    }

    /// `self + timedelta(microseconds:)` on the wall clock: fold becomes 0.
    public func addingWallMicros(_ micros: Int64) -> WallTime { WallTime(wallMicros: wallMicros + micros, fold: 0) }

    public static func < (a: WallTime, b: WallTime) -> Bool { a.wallMicros < b.wallMicros }

    public var description: String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(hour)):\(two(minute)):\(two(second))" + (fold == 1 ? " (second)" : "")
    }

    // MARK: The proleptic Gregorian calendar (CeleryWire's, which the message timestamps use)

    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        CeleryTimestamp.days(fromYear: Int64(year), month: Int64(month), day: Int64(day))
    }

    static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let date = CeleryTimestamp.civil(fromDays: days)
        return (Int(date.year), Int(date.month), Int(date.day))
    }

    static func cronWeekday(_ year: Int, _ month: Int, _ day: Int) -> Int {
        // 1970-01-01 was a Thursday (4).
        Int(((days(fromCivil: year, month, day) + 4) % 7 + 7) % 7)
    }

    /// Python's `calendar.monthrange(year, month)[1]`.
    public static func daysInMonth(_ year: Int, _ month: Int) -> Int { Int(CeleryTimestamp.daysInMonth(Int64(year), Int64(month))) }
}
