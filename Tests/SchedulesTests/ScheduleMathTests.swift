import Testing
@testable import Schedules

/// Hand-checked due times; the table generated from Python Celery (CelerySchedulesFixtureTests)
/// covers the rest.
struct ScheduleMathTests {
    static let second: Int64 = 1_000_000

    func utc(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, zone: ScheduleZone = .utc, fold: Int = 0) -> Int64 {
        zone.utcMicros(of: WallTime(year: y, month: mo, day: d, hour: h, minute: mi, fold: fold))
    }

    @Test func wallTimeRoundTripsAndKnowsWeekdays() {
        let wall = WallTime(wallMicros: 1_796_342_400 * Self.second + 123)
        #expect(wall == WallTime(year: 2026, month: 12, day: 4, microsecond: 123))
        #expect(wall.cronWeekday == 5)  // a Friday
        #expect(WallTime(year: 2028, month: 2, day: 29).wallMicros == WallTime(year: 2028, month: 3, day: 1).wallMicros - 86_400 * Self.second)
        #expect(WallTime(wallMicros: -1).year == 1969)
    }

    @Test func newYorkSpringForwardAndFallBack() throws {
        let ny = try ScheduleZone("America/New_York")
        // 02:30 does not exist on 2026-03-08: fold 0 reads it with EST, i.e. 03:30 EDT.
        #expect(!ny.exists(WallTime(year: 2026, month: 3, day: 8, hour: 2, minute: 30)))
        #expect(utc(2026, 3, 8, 2, 30, zone: ny) == utc(2026, 3, 8, 7, 30))
        // 01:30 on 2026-11-01 happens twice: EDT (fold 0) then EST (fold 1).
        #expect(utc(2026, 11, 1, 1, 30, zone: ny) == utc(2026, 11, 1, 5, 30))
        #expect(utc(2026, 11, 1, 1, 30, zone: ny, fold: 1) == utc(2026, 11, 1, 6, 30))
        #expect(ny.wallTime(atUTCMicros: utc(2026, 11, 1, 6, 30)).fold == 1)
    }

    @Test func aSkippedCrontabTimeRunsAnHourLaterOnTheSpringForwardDay() throws {
        let ny = try ScheduleZone("America/New_York")
        let nightly = try CrontabSchedule(expression: "30 2 * * *")
        let next = nightly.nextRunMicros(after: utc(2026, 3, 7, 12, zone: ny), zone: ny)
        #expect(next == utc(2026, 3, 8, 7, 30))   // 03:30 EDT
    }

    @Test func dayOfMonthAndWeekdayMustBothMatch() throws {
        // The first Monday of a month at noon: 2027-01-04 is the first Monday after 2026-12-08.
        let firstMonday = try CrontabSchedule(expression: "0 12 1-7 * mon")
        #expect(firstMonday.nextRunMicros(after: utc(2026, 12, 8), zone: .utc) == utc(2027, 1, 4, 12))
        let leap = try CrontabSchedule(expression: "0 0 29 2 *")
        #expect(leap.nextRunMicros(after: utc(2026, 3, 1), zone: .utc) == utc(2028, 2, 29))
    }

    @Test func theStartingDeadlineDropsStaleCrontabRuns() throws {
        let hourly = Schedule.crontab(try CrontabSchedule(expression: "0 * * * *"))
        let lastRun = utc(2026, 12, 4, 9)
        let now = utc(2026, 12, 4, 12, 30)
        #expect(hourly.state(lastRun: lastRun, now: now, zone: .utc).isDue)
        let stale = hourly.state(lastRun: lastRun, now: now, zone: .utc, startingDeadlineMicros: 600 * Self.second)
        #expect(!stale.isDue && stale.nextCheckMicros == 30 * 60 * Self.second)
        let fresh = hourly.state(lastRun: lastRun, now: now, zone: .utc, startingDeadlineMicros: 3600 * Self.second)
        #expect(fresh.isDue)
    }

    @Test func badInputIsRefusedByName() {
        #expect(throws: ScheduleZoneError.self) { try ScheduleZone("Mars/Olympus_Mons") }
        #expect(throws: CrontabError.self) { try CrontabSchedule(expression: "*/5 * * *") }
        #expect(throws: CrontabError.self) { try CrontabSchedule(expression: "0 0 31 2 *") }
    }
}
