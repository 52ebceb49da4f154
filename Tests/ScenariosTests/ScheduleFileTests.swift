import CeleryWire
import Schedules
import Testing
@testable import Scenarios

/// Schedule files (`lovage beat --schedule`, a scenario's `schedule:`): every form the docs show
/// reads as meant, and each mistake is refused at its line with the entry and field named.
struct ScheduleFileTests {
    @Test func everyFormReads() throws {
        let spec = try ScheduleFileLoader.parse(yaml: """
            timezone: Europe/London
            beat_cron_starting_deadline: 10m
            entries:
              refresh-cache:
                task: app.refresh
                schedule: {every: 30s}
              nightly-index:
                task: dataset.index
                schedule: {crontab: "30 2 * * *"}
                args: [1, "two", null]
                kwargs: {full: true, ratio: 0.5}
                options: {queue: dify, priority: 6, expires: 1h, countdown: 5s, headers: {origin: beat}}
              weekday-report:
                task: app.report
                schedule: {crontab: {minute: "0", hour: "9", day_of_week: mon-fri}}
              aligned:
                task: app.tick
                schedule: {every: 1h, relative: true}
            """, sourcePath: "s.yaml")
        #expect(spec.zone.identifier == "Europe/London")
        #expect(spec.cronStartingDeadlineMicros == 600_000_000)
        #expect(spec.entries.map(\.name) == ["refresh-cache", "nightly-index", "weekday-report", "aligned"])
        #expect(spec.entries[0].schedule == .every(IntervalSchedule(everyMicros: 30_000_000)))
        let nightly = spec.entries[1]
        #expect(nightly.schedule == .crontab(try CrontabSchedule(expression: "30 2 * * *")))
        #expect(nightly.args == [.int(1), .string("two"), .null])
        #expect(nightly.kwargs["full"] == .bool(true) && nightly.kwargs["ratio"] == .double(0.5))
        #expect(nightly.options == BeatSendOptions(queue: "dify", priority: 6, expiresMicros: 3_600_000_000,
                                                   countdownMicros: 5_000_000, headers: ["origin": .string("beat")]))
        guard case .crontab(let report) = spec.entries[2].schedule else { Issue.record("not a crontab"); return }
        #expect(report.dayOfWeek.values == [1, 2, 3, 4, 5] && report.hour.values == [9])
        #expect(spec.entries[3].schedule == .every(IntervalSchedule(everyMicros: 3_600_000_000, relative: true)))
    }

    @Test func jsonReadsToo() throws {
        let spec = try ScheduleFileLoader.parse(yaml: """
            {"entries": {"ping": {"task": "lovage.noop", "schedule": {"every": 5}, "options": {"queue": "celery"}}}}
            """, sourcePath: "s.json")
        #expect(spec.entries.first?.schedule == .every(IntervalSchedule(everyMicros: 5_000_000)))
    }

    static let mistakes: [(String, Int, String, String)] = [
        ("entries:\n  a:\n    task: t\n    schedule: {crontab: \"61 * * * *\"}\n", 4, "entries.a.schedule.crontab.minute", "61"),
        ("entries:\n  a:\n    task: t\n    schedule: {crontab: {minute: \"0\", hour: \"25\"}}\n", 4, "entries.a.schedule.crontab.hour", "25"),
        ("entries:\n  a:\n    task: t\n    schedule: {crontab: \"* * * *\"}\n", 4, "entries.a.schedule.crontab.minute", "5 fields"),
        ("entries:\n  a:\n    task: t\n    schedule: {every: 0s}\n", 4, "entries.a.schedule.every", "zero"),
        ("timezone: Europe/Lundon\nentries:\n  a: {task: t, schedule: {every: 1m}}\n", 1, "timezone", "unknown timezone"),
        ("entries:\n  a: {task: t, schedule: {every: 1m, crontab: \"* * * * *\"}}\n", 2, "entries.a.schedule", "not both"),
        ("entries:\n  a: {task: t, schedul: {every: 1m}}\n", 2, "entries.a.schedul", "did you mean"),
        ("entries:\n  a: {schedule: {every: 1m}}\n", 2, "entries.a.task", "missing required key"),
        ("entries:\n  a: {task: t, schedule: {every: 1m}, options: {priority: 12}}\n", 2, "entries.a.options.priority", "0-9"),
        ("entries:\n  a: {task: t, schedule: {every: 1m}}\n  a: {task: u, schedule: {every: 2m}}\n", 3, "", "duplicate key \"a\""),
        ("entries: [a, b]\n", 1, "entries", "mapping of entry name"),
        ("entries:\n  a: {task: t, schedule: {every: 1m}\n", 3, "", ""),
    ]

    @Test(arguments: mistakes.indices) func mistakesAreRefusedWhereTheyAre(index: Int) {
        let (yaml, line, path, phrase) = Self.mistakes[index]
        do {
            let spec = try ScheduleFileLoader.parse(yaml: yaml, sourcePath: "beat.yaml")
            Issue.record("accepted: \(spec)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.keyPath == path, "\(error)")
            #expect(phrase.isEmpty || error.description.contains(phrase), "\(error)")
            #expect(error.description.hasPrefix("beat.yaml:"), "\(error)")
        }
    }
}
