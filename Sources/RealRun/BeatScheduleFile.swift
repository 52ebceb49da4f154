import CeleryWire
import Foundation
import Scenarios
import Schedules
import WorkerCore
import Workload

/// The schedule file a real run writes for its beats (`lovage beat --schedule`, or `celery beat`
/// through interop/beat_app.py): the scenario's entries in the schedule file's own format, each
/// send already resolved as the simulator resolves it — the entry's `options` over its task type's
/// queue or route, priority, countdown and expiry (`PublishTemplate.beatSend`) — so a beat needs
/// no scenario to send what the simulated beat sends.
///
/// The entry's own `args` and `kwargs` are replaced by the synthetic body's kwargs for its task
/// type (the simulator models a beat task's body from its type and ignores them too): the duration
/// is the median of the type's distribution, the same for every send of the entry, since a beat
/// sends one fixed message per entry. Durations are written as seconds (a bare number), which both
/// readers take.
enum BeatScheduleFile {
    /// `start` is the run's start (the slow_tasks windows are absolute times in the kwargs).
    static func json(scenario: Scenario, start: Date,
                     slowWindows: [(start: TimeSpan, end: TimeSpan, factor: Double, pattern: String)]) -> JSONValue {
        guard let schedule = scenario.schedule else { return .null }
        let router = TaskRouter(rules: scenario.routes.map { TaskRouter.Rule(pattern: $0.pattern, queue: $0.queue) })
        var entries = JSONObject()
        for entry in schedule.spec.entries {
            guard let spec = scenario.tasks.first(where: { $0.name == entry.task }) else { continue }
            let send = PublishTemplate(spec, router: router).beatSend(entry.options)
            var options: JSONObject = ["queue": .string(send.queue)]
            if let priority = send.priority { options.set(.int(Int64(priority)), forKey: "priority") }
            if let countdown = send.countdown { options.set(seconds(countdown.microseconds), forKey: "countdown") }
            if let expires = send.expires { options.set(seconds(expires.microseconds), forKey: "expires") }
            if !entry.options.headers.isEmpty { options.set(.object(entry.options.headers), forKey: "headers") }
            let kwargs = LoadPublisher.bodyKwargs(spec, duration: spec.body.duration.median, start: start, slowWindows: slowWindows)
            entries.set(.object(["task": .string(entry.task), "schedule": .object(scheduleJSON(entry.schedule)),
                                 "args": .array([]), "kwargs": .object(kwargs), "options": .object(options)]),
                        forKey: entry.name)
        }
        var top: JSONObject = ["timezone": .string(schedule.spec.zone.identifier)]
        if let deadline = schedule.spec.cronStartingDeadlineMicros { top.set(seconds(deadline), forKey: "beat_cron_starting_deadline") }
        top.set(.object(entries), forKey: "entries")
        return .object(top)
    }

    /// Writes `beat-schedule.json` in `directory`; returns its absolute path (beats run elsewhere).
    static func write(_ json: JSONValue, in directory: String) throws -> String {
        let folder = directory.hasPrefix("/") ? directory
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(directory)
        let path = (folder as NSString).appendingPathComponent("beat-schedule.json")
        guard FileManager.default.createFile(atPath: path, contents: Data(json.serialized())) else {
            throw RealRunError("cannot write the beat schedule \(path)")
        }
        return path
    }

    static func scheduleJSON(_ schedule: Schedule) -> JSONObject {
        switch schedule {
        case .every(let interval):
            return ["every": seconds(interval.everyMicros), "relative": .bool(interval.relative)]
        case .crontab(let crontab):
            let text = crontab.text
            return ["crontab": .object(["minute": .string(text.minute), "hour": .string(text.hour),
                                        "day_of_week": .string(text.dayOfWeek), "day_of_month": .string(text.dayOfMonth),
                                        "month_of_year": .string(text.monthOfYear)])]
        }
    }

    static func seconds(_ micros: Int64) -> JSONValue { .double(Double(micros) / 1_000_000) }
}

extension DurationDistribution {
    /// The distribution's median: the body time a beat's fixed message carries.
    var median: TimeSpan {
        switch self {
        case .constant(let value): return value
        case .uniform(let low, let high): return TimeSpan(microseconds: (low.microseconds + high.microseconds) / 2)
        case .exponential(let mean): return TimeSpan(microseconds: Int64((Double(mean.microseconds) * log(2)).rounded()))
        case .logNormal(let median, _): return median
        case .empirical(let values):
            guard !values.isEmpty else { return .zero }
            return values.sorted()[values.count / 2]
        }
    }
}
