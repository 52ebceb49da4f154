import CeleryWire
import RedisClient
import Schedules

/// What a beat needs to run: the schedule, the broker, and how it shares the sending with other
/// beats (the lock) — `lovage beat`'s flags and `worker -B`'s.
public struct BeatSettings: Sendable {
    public var entries: [BeatEntry]
    public var zone: ScheduleZone
    public var cronStartingDeadlineMicros: Int64?
    public var brokerURL: RedisURL
    public var keys = BeatRedisKeys()
    /// Send only while holding the lock (the default). Off, every beat sends every entry: Celery
    /// beat's behaviour with two beats, kept for showing that failure, never for production.
    public var useLock = true
    /// The lock's expiry: a holder that stops renewing (killed, partitioned, frozen) is replaced
    /// by a standby within this long. It renews every tick and at least every third of it.
    public var lockTimeoutMicros: Int64 = 30_000_000
    /// Celery's `beat_max_loop_interval` (300 s; 1 s for an embedded `-B`, as Celery's thread).
    public var maxIntervalMicros: Int64 = BeatScheduler.defaultMaxIntervalMicros
    /// Where an entry without `options.queue` goes (Celery's `task_default_queue`).
    public var defaultQueue = "celery"
    public var prioritySteps = PriorityQueueKeys.defaultSteps
    /// This beat's name in the lock and its logs: `beat@host:pid:random`.
    public var holderID: String
    /// Added to this host's clock: a beat on a host whose clock is off (a fault a real run
    /// injects; `lovage beat --clock-offset`). Sends, last runs and crontab matches all use it.
    public var clockOffsetMicros: Int64 = 0
    /// The offset of the clock a send's `eta` and `expires` are computed on; nil: `clockOffsetMicros`
    /// (a skewed host stamps its messages with its own clock). `lovage run` shifts its beats' clocks
    /// to the scenario's `start_at` for the schedule but gives 0 here, so workers read a beat
    /// task's countdown and expiry on the true clock, as in the simulator.
    public var messageClockOffsetMicros: Int64? = nil
    /// How long to wait between tries while the broker is unreachable.
    public var reconnectEveryMicros: Int64 = 1_000_000

    public init(entries: [BeatEntry], zone: ScheduleZone, brokerURL: RedisURL, holderID: String) {
        self.entries = entries
        self.zone = zone
        self.brokerURL = brokerURL
        self.holderID = holderID
    }

    /// How often the holder renews (and a standby looks): a third of the expiry, so two renewals
    /// can be missed before the lock lapses.
    public var renewEveryMicros: Int64 { max(lockTimeoutMicros / 3, 1_000) }

    /// The message clock at a pass whose beat clock reads `beatNow`.
    public func messageNow(beatNow: Int64) -> Int64 { beatNow - clockOffsetMicros + (messageClockOffsetMicros ?? clockOffsetMicros) }
}
