import Schedules

/// A scenario's `schedule:`: the periodic tasks Celery beat sends (the schedule file's format, a
/// `ScheduleSpec`), and how the simulated beats that send them run — how many, whether they share
/// the lock, its expiry, their longest sleep, and which wall-clock instant virtual time 0 is.
///
/// Why the wall-clock instant: crontabs are wall-clock schedules (`30 2 * * *` in a timezone), so a
/// run needs a date and time to start from; intervals do not care.
public struct ScenarioSchedule: Sendable, Equatable {
    /// The entries, timezone and `beat_cron_starting_deadline`, read exactly as a schedule file is.
    public var spec: ScheduleSpec
    /// The UTC instant (unix microseconds) of virtual time 0 on the true clock (`start_at`).
    public var startAtMicros: Int64 = ScenarioSchedule.defaultStartAtMicros
    /// The beat processes running from the start (`beats`), numbered beat-1, beat-2, … in order.
    public var beats: [BeatSpec] = [BeatSpec()]
    /// Whether beats share the one-sender lock unless a beat says otherwise (`lock`, default true).
    public var lock = true
    /// The lock's expiry (`lock_timeout`, 30 s as `lovage beat`): a killed holder is replaced within it.
    public var lockTimeoutMicros: Int64 = 30_000_000
    /// Celery's `beat_max_loop_interval` (`max_interval`, 5 min).
    public var maxIntervalMicros: Int64 = BeatScheduler.defaultMaxIntervalMicros

    /// 2026-01-01T00:00:00Z, the simulator's own epoch, so eta headers and crontabs agree by default.
    public static let defaultStartAtMicros: Int64 = 1_767_225_600_000_000

    public init(spec: ScheduleSpec) { self.spec = spec }

    /// The simulation keys a scenario's `schedule:` takes besides the schedule file's own.
    public static let simulationKeys = ["start_at", "beats", "lock", "lock_timeout", "max_interval"]

    /// How often a beat using the lock renews it (and a standby looks): a third of the expiry, as
    /// `BeatSettings.renewEveryMicros`.
    public var renewEveryMicros: Int64 { max(lockTimeoutMicros / 3, 1_000) }

    /// Whether a beat written with `lock` (nil: not written) uses the lock.
    public func usesLock(_ beat: BeatSpec) -> Bool { beat.lock ?? lock }
}

extension ScenarioSchedule {
    /// `Scenario.timeScaled`'s part: intervals, the entries' countdown and expiry, the lock's expiry,
    /// the longest sleep and the beats' clock offsets scale; crontabs name wall-clock minutes and
    /// the start instant is a date, so they stay.
    func timeScaled(by factor: Double) -> ScenarioSchedule {
        func scaled(_ micros: Int64) -> Int64 { Int64((Double(micros) * factor).rounded()) }
        var copy = self
        copy.spec.entries = spec.entries.map { entry in
            var options = entry.options
            options.countdownMicros = options.countdownMicros.map(scaled)
            options.expiresMicros = options.expiresMicros.map(scaled)
            var schedule = entry.schedule
            if case .every(let interval) = entry.schedule {
                schedule = .every(IntervalSchedule(everyMicros: max(1, scaled(interval.everyMicros)), relative: interval.relative))
            }
            return BeatEntry(name: entry.name, task: entry.task, schedule: schedule, args: entry.args, kwargs: entry.kwargs, options: options)
        }
        copy.lockTimeoutMicros = max(3_000, scaled(lockTimeoutMicros))
        copy.maxIntervalMicros = max(1, scaled(maxIntervalMicros))
        copy.beats = beats.map { BeatSpec(lock: $0.lock, clockOffsetMicros: scaled($0.clockOffsetMicros)) }
        return copy
    }
}

/// One simulated beat process: whether it uses the lock and how far its wall clock is off.
public struct BeatSpec: Sendable, Equatable {
    /// nil: the schedule's `lock`. A beat without the lock sends every entry whatever the others do
    /// (Celery's own behaviour with two beats).
    public var lock: Bool? = nil
    /// Added to the true wall clock to give this beat's clock (signed; `clock_offset: -30s` is 30 s
    /// behind): the clock its schedules, its last runs and its sends are read on.
    public var clockOffsetMicros: Int64 = 0

    public init(lock: Bool? = nil, clockOffsetMicros: Int64 = 0) {
        self.lock = lock
        self.clockOffsetMicros = clockOffsetMicros
    }

    public static let keys = ["lock", "clock_offset"]
}
