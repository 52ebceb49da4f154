import CeleryWire
import Foundation
import Testing
@testable import Schedules

/// Lovage's due times against Python Celery's own, case by case: a table that
/// interop/schedule_cases.py generated from `celery.schedules` and `celery.beat.Scheduler`
/// (intervals with and without `relative`, crontabs, DST changes in five zones, month and year
/// ends, `beat_cron_starting_deadline`), agreeing to the microsecond for `is_due` and
/// `remaining_estimate`, and for whole beat sequences (Celery's own Scheduler.tick on a fake clock).
///
/// One departure, on purpose: when the last run falls in the second reading of a repeated hour,
/// Celery's `ffwd` drops the fold and finds a next run *before* the last run, so beat sends the
/// entry on every tick until the hour's last matching minute (thousands of sends). Lovage takes
/// the wall time's second reading instead; those cases are checked for that, not for Celery's answer.
struct CelerySchedulesFixtureTests {
    static let fixture: JSONObject = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/celery-schedules.json")
        let data = try! Data(contentsOf: url)
        guard case .object(let object) = try! JSONValue.parse([UInt8](data)) else { fatalError("fixture is not an object") }
        return object
    }()

    static func micros(_ value: JSONValue?) -> Int64 { Int64((value!.doubleValue! * 1_000_000).rounded()) }

    static func schedule(_ value: JSONValue) throws -> Schedule {
        guard case .object(let object) = value else { fatalError("schedule") }
        if let every = object["every_seconds"] {
            return .every(IntervalSchedule(everyMicros: micros(every), relative: object["relative"]?.boolValue ?? false))
        }
        guard case .object(let fields)? = object["crontab"] else { fatalError("crontab") }
        func field(_ name: String) -> String { fields[name]?.stringValue ?? "*" }
        return .crontab(try CrontabSchedule(minute: field("minute"), hour: field("hour"), dayOfWeek: field("day_of_week"),
                                            dayOfMonth: field("day_of_month"), monthOfYear: field("month_of_year")))
    }

    static func list(_ key: String) -> [JSONObject] {
        guard case .array(let items)? = fixture[key] else { return [] }
        return items.compactMap { if case .object(let object) = $0 { return object } else { return nil } }
    }

    @Test func theTableIsThere() {
        #expect(Self.list("cases").count > 500)
        #expect(Self.list("sequences").count >= 10)
    }

    @Test func pointCasesAgreeWithCelery() throws {
        var checked = 0, departures = 0
        var zones: [String: ScheduleZone] = [:]
        for item in Self.list("cases") {
            let id = item["id"]!.stringValue!
            let name = item["timezone"]!.stringValue!
            let zone = try zones[name] ?? ScheduleZone(name)
            zones[name] = zone
            let schedule = try Self.schedule(item["schedule"]!)
            let lastRun = Self.micros(item["last_run_at"]), now = Self.micros(item["now"])
            let deadline = item["deadline_seconds"].flatMap { $0.isNull ? nil : Self.micros($0) }
            let remaining = Self.micros(item["remaining_seconds"])
            if case .crontab = schedule, now + remaining <= lastRun {
                // Celery's next run is not after the last run: its repeated-hour send storm.
                departures += 1
                let ours = schedule.remainingMicros(lastRun: lastRun, now: now, zone: zone)
                #expect(now + ours > lastRun, "\(id): Lovage's next run must come after the last run")
                continue
            }
            let ours = schedule.remainingMicros(lastRun: lastRun, now: now, zone: zone)
            let state = schedule.state(lastRun: lastRun, now: now, zone: zone, startingDeadlineMicros: deadline)
            #expect(abs(ours - remaining) <= 1, "\(id): remaining \(ours) µs, Celery \(remaining) µs")
            #expect(state.isDue == item["is_due"]!.boolValue!, "\(id): is_due")
            #expect(abs(state.nextCheckMicros - Self.micros(item["next_seconds"])) <= 1,
                    "\(id): next \(state.nextCheckMicros) µs, Celery \(Self.micros(item["next_seconds"])) µs")
            checked += 1
        }
        #expect(checked > 500)
        #expect(departures < 40, "the departures should be the few repeated-hour cases, not \(departures)")
    }

    @Test func beatSequencesSendTheSameEntriesAtTheSameTimes() throws {
        for sequence in Self.list("sequences") {
            let id = sequence["id"]!.stringValue!
            let zone = try ScheduleZone(sequence["timezone"]!.stringValue!)
            guard case .array(let entryValues)? = sequence["entries"], case .array(let sendValues)? = sequence["sends"] else { continue }
            var entries: [BeatEntry] = [], lastRuns: [Int64?] = []
            for case .object(let entry) in entryValues {
                entries.append(BeatEntry(name: entry["name"]!.stringValue!, task: entry["task"]!.stringValue!,
                                         schedule: try Self.schedule(entry["schedule"]!)))
                lastRuns.append(entry["last_run_at"].flatMap { $0.isNull ? nil : Self.micros($0) })
            }
            let celery: [(Int64, String)] = sendValues.compactMap {
                guard case .object(let send) = $0 else { return nil }
                return (Self.micros(send["at"]), send["entry"]!.stringValue!)
            }
            let start = Self.micros(sequence["start"]), until = Self.micros(sequence["until"])
            var scheduler = BeatScheduler(entries: entries, zone: zone, maxIntervalMicros: Self.micros(sequence["max_interval_seconds"]),
                                          lastRuns: lastRuns, now: start)
            var ours: [(Int64, String)] = []
            // The generator's fake clock counts whole microseconds, each tick adding its delay and
            // the tick cost: step the same clock.
            let cost = Self.micros(sequence["tick_cost_seconds"])
            var now = start
            while now <= until {
                let tick = scheduler.tick(now: now)
                if let index = tick.send { ours.append((now, entries[index].name)) }
                now += max(tick.sleepMicros, 0) + cost
            }
            if id == "crontab-new_york-fall-back-started-in-repeated-hour" {
                // Celery's storm (see above): Lovage sends each due time of the repeated hour once.
                #expect(celery.count > 100 && ours.count < 10, "\(id): Celery \(celery.count) sends, Lovage \(ours.count)")
                continue
            }
            #expect(ours.map(\.1) == celery.map(\.1), "\(id): entries in a different order or number (\(ours.count) against \(celery.count))")
            for (mine, theirs) in zip(ours, celery) {
                #expect(abs(mine.0 - theirs.0) <= 1, "\(id): \(mine.1) sent at \(mine.0), Celery at \(theirs.0)")
            }
        }
    }
}
