/// Periodic-task figures (issue 19): what the simulated beats sent for each entry of a scenario's
/// `schedule:`, against the entry's due times, with the duplicates and missed runs explained.
/// `PeriodicRuns` works them out; see its doc for how due times, duplicates and misses are defined.
extension RunSummary {
    public struct PeriodicSummary: Sendable, Codable, Equatable {
        /// One per schedule entry, in the schedule's order.
        public var entries: [PeriodicFigures]
        /// One per beat process that ran (the schedule's beats, then each `start_beat`).
        public var beats: [BeatFigures]
        public init(entries: [PeriodicFigures], beats: [BeatFigures]) { self.entries = entries; self.beats = beats }

        public var sends: Int { entries.reduce(0) { $0 + $1.sends } }
        public var due: Int { entries.reduce(0) { $0 + $1.due } }
        public var duplicates: Int { entries.reduce(0) { $0 + $1.duplicates } }
        public var missed: Int { entries.reduce(0) { $0 + $1.missed } }
    }

    public struct PeriodicFigures: Sendable, Codable, Equatable {
        public var entry: String
        public var task: String
        /// `every 30s` or `crontab */5 * * * *`.
        public var schedule: String
        /// Tasks the beats sent for this entry.
        public var sends = 0
        /// The runs that were due: for a crontab its due times within the beats' window on the true
        /// wall clock; for an interval the runs the sends stand for (sends − duplicates + missed).
        public var due = 0
        /// Sends beyond the first for one due time (crontab), or within half an interval of the
        /// previous send (interval).
        public var duplicates = 0
        /// Due times without a send (crontab), or runs a gap of more than 1.5 intervals held (interval).
        public var missed = 0
        public var duplicateCauses: [PeriodicCause] = []
        public var missedCauses: [PeriodicCause] = []
        /// Crontab: how far the sends fell from their due times on the true clock (negative: early,
        /// a beat whose clock is ahead). Nil for an interval, or without sends.
        public var sendOffsetMicros: Span? = nil
        /// Interval: the shortest and longest time between two consecutive sends (true clock). Nil
        /// for a crontab, or with fewer than two sends.
        public var gapMicros: Span? = nil

        public init(entry: String, task: String, schedule: String) { self.entry = entry; self.task = task; self.schedule = schedule }
    }

    /// A least and a greatest value, microseconds.
    public struct Span: Sendable, Codable, Equatable {
        public var min: Int64
        public var max: Int64
        public init(min: Int64, max: Int64) { self.min = min; self.max = max }
    }

    /// Why some runs of an entry were duplicated or missed: the cause in words, how many, and the
    /// first one's time from the start of the run (the due time for a miss, the send for a duplicate).
    public struct PeriodicCause: Sendable, Codable, Equatable {
        public var cause: String
        public var count: Int
        public var firstAtSeconds: Double
        public init(cause: String, count: Int, firstAtSeconds: Double) {
            self.cause = cause; self.count = count; self.firstAtSeconds = firstAtSeconds
        }
    }

    /// One beat process of the run: how it was set up and what it did.
    public struct BeatFigures: Sendable, Codable, Equatable {
        public var beat: String
        public var lock: Bool
        public var clockOffsetMicros: Int64
        /// Tasks this beat sent.
        public var sends = 0
        /// Times it took the lock (its first, and every takeover after a kill, stop or lapse).
        public var lockTaken = 0
        public init(beat: String, lock: Bool, clockOffsetMicros: Int64) {
            self.beat = beat; self.lock = lock; self.clockOffsetMicros = clockOffsetMicros
        }
    }
}
