import Schedules
import WorkerCore

/// What `lovage validate` prints about a scenario's `schedule:`: the beats and how they share the
/// lock, when virtual time 0 is, and each entry with its task, queue and first due time, so a
/// reader sees before any run which wall-clock minutes a crontab means from that start.
public enum ScheduleListing {
    public static func lines(_ scenario: Scenario) -> [String] {
        guard let schedule = scenario.schedule else { return [] }
        let beats = schedule.beats.enumerated().map { index, beat in
            "beat-\(index + 1)" + (schedule.usesLock(beat) ? "" : " (no lock)")
                + (beat.clockOffsetMicros != 0 ? " (clock \(signed(beat.clockOffsetMicros)))" : "")
        }
        var lines = ["  schedule: \(schedule.spec.entries.count) entr\(schedule.spec.entries.count == 1 ? "y" : "ies") in \(schedule.spec.zone), "
                     + "start_at \(InstantText.format(schedule.startAtMicros)); beats: "
                     + (beats.isEmpty ? "none at start" : beats.joined(separator: ", "))
                     + (schedule.lock ? "; lock expiry \(DurationText.format(TimeSpan(microseconds: schedule.lockTimeoutMicros)))" : "; no lock")]
        let router = TaskRouter(rules: scenario.routes.map { TaskRouter.Rule(pattern: $0.pattern, queue: $0.queue) })
        for entry in schedule.spec.entries {
            let task = scenario.tasks.first { $0.name == entry.task }
            let queue = entry.options.queue ?? router.queue(forTask: entry.task, explicitQueue: task?.queue)
            let first = entry.schedule.dueTimes(after: schedule.startAtMicros, through: .max, zone: schedule.spec.zone, limit: 1).first
            let when: String
            switch entry.schedule {
            case .every(let interval): when = "every \(DurationText.format(TimeSpan(microseconds: interval.everyMicros)))"
            case .crontab(let crontab): when = "crontab \(crontab.expression)"
            }
            lines.append("    \(entry.name): \(entry.task) \(when) to queue \(queue)"
                         + (first.map { "; first due \(InstantText.format($0)) (+\(DurationText.format(TimeSpan(microseconds: $0 - schedule.startAtMicros))))" } ?? ""))
        }
        return lines
    }

    static func signed(_ micros: Int64) -> String {
        (micros < 0 ? "-" : "+") + DurationText.format(TimeSpan(microseconds: abs(micros)))
    }
}
