import Schedules
import WorkerCore
import Scenarios

/// `lovage beat --next N`: each entry's next due times on the schedule's wall clock, so a
/// crontab can be checked (DST days, month ends, day-of-week AND day-of-month) before it ships.
enum BeatNextTimes {
    static func text(_ spec: ScheduleSpec, count: Int, now: Int64) -> String {
        var lines = ["next due times from now, in \(spec.zone) (as if every entry first ran now):"]
        for entry in spec.entries {
            lines.append("\(entry.name) (\(entry.task), \(describe(entry.schedule))):")
            for time in entry.schedule.dueTimes(after: now, through: Int64.max / 2, zone: spec.zone, limit: count) {
                let wall = spec.zone.wallTime(atUTCMicros: time)
                let offset = spec.zone.offsetSeconds(atUTCMicros: time)
                lines.append("  \(wall.description.replacingOccurrences(of: " (second)", with: "")) \(utcOffset(offset))")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ schedule: Schedule) -> String {
        switch schedule {
        case .every(let interval):
            return "every \(DurationText.format(TimeSpan(microseconds: interval.everyMicros)))" + (interval.relative ? ", relative" : "")
        case .crontab(let crontab):
            return "crontab \(crontab.expression)"
        }
    }

    static func utcOffset(_ seconds: Int64) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let minutes = abs(seconds) / 60
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(sign)\(two(minutes / 60)):\(two(minutes % 60))"
    }
}
