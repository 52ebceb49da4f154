import Reports
import Scenarios
import Schedules

/// One simulated beat process (`lovage beat`): its own `BeatScheduler` on its own wall clock, and
/// the state `BeatService` keeps between passes of its loop — whether it holds the lock, and who
/// it last saw holding it. A kill or a stop bumps the generation, so wake-ups scheduled for the
/// process that is gone are ignored.
struct SimBeat {
    /// Its place in `BeatWorld.beats`.
    let index: Int
    /// beat-N's N.
    let number: Int
    let name: String
    let usesLock: Bool
    /// Added to the true wall clock to give this beat's.
    let clockOffsetMicros: Int64
    var alive = false
    var generation = 0
    /// Killed (not stopped) in its last life: its lock lapses only at the expiry.
    var killed = false
    /// Nil until it takes over (and again after it lost the lock or the broker).
    var scheduler: BeatScheduler?
    var holding = false

    /// This life, as the lock knows it.
    var life: BeatLife { BeatLife(beat: index, generation: generation) }

    init(index: Int, number: Int, spec: BeatSpec, usesLock: Bool) {
        self.index = index
        self.number = number
        name = "beat-\(number)"
        self.usesLock = usesLock
        clockOffsetMicros = spec.clockOffsetMicros
    }
}

/// Everything the simulated beats share: the schedule, the lock, the stored last runs (the
/// `<prefix>:last_run` hash, by entry index), the beats themselves, and the record the periodic
/// figures are judged from.
struct BeatWorld {
    let schedule: ScenarioSchedule
    /// Each entry's scenario task type (index into the scenario's tasks).
    let entryTaskIndex: [Int]
    var beats: [SimBeat]
    var lock = BeatLock()
    /// The life that was killed holding the lock, until someone takes it (for naming the lapse).
    var killedHolder: BeatLife?
    /// Last run of each entry on the clock of the beat that wrote it; nil: never run.
    var lastRuns: [Int64?]
    var judge: PeriodicRuns
    /// Beat sends so far (ids b1, b2, …).
    var sent = 0

    /// Each beat pass costs this much virtual time (the loop's own work, a Redis round trip), as
    /// the schedule tests' fake clock does: without it a tick that asks to look again at once
    /// would spin at one instant.
    static let passCostMicros: Int64 = 1_000
    /// How long a beat that lost the broker waits before it tries again (`BeatSettings.reconnectEveryMicros`).
    static let reconnectEveryMicros: Int64 = 1_000_000
    /// Task numbers of beat sends: below every follower's (-1, -2, …), so `TaskLedger.taskID` can
    /// tell them apart and the n-th client publish stays t<n>.
    static let taskNumberBase = 1 << 40
}
