/// Celery beat's `Scheduler.tick` (celery/beat.py) without a clock: a heap of when to look at each
/// entry next; each tick sends at most one due entry and says how long to sleep, never more than
/// `maxIntervalMicros` (`beat_max_loop_interval`). The caller owns the clock and the send:
/// `lovage beat`, `worker -B` and the simulator each call `tick(now:)` with their own time.
///
/// As Celery's: an entry's last run becomes the tick's `now` when it is sent (`reserve`), an entry
/// never run before counts as last run when the scheduler starts (so an interval entry first goes
/// out one interval after start), the heap times carry `adjust`'s −10 ms drift, and an entry whose
/// heap time came but which is not yet due is re-heaped at its next check. Ties (same time)
/// go in file order; Celery breaks them by object address.
public struct BeatScheduler: Sendable {
    public let entries: [BeatEntry]
    public let zone: ScheduleZone
    public let maxIntervalMicros: Int64
    public let startingDeadlineMicros: Int64?
    /// When each entry was last sent (UTC microseconds), by entry index.
    public private(set) var lastRuns: [Int64]
    /// Sends per entry since this scheduler started.
    public private(set) var sendCounts: [Int]
    var heap: [(time: Int64, entry: Int)]?

    /// Celery's `DEFAULT_MAX_INTERVAL`, 300 s.
    public static let defaultMaxIntervalMicros: Int64 = 300_000_000
    /// `Scheduler.adjust`'s drift: heap times are 10 ms early, so a tick wakes just before its due time.
    static let driftMicros: Int64 = -10_000

    /// `lastRuns[i]` nil: entry i has never run (its last run is `now`, as Celery's `default_now`).
    public init(entries: [BeatEntry], zone: ScheduleZone = .utc, maxIntervalMicros: Int64 = defaultMaxIntervalMicros,
                startingDeadlineMicros: Int64? = nil, lastRuns: [Int64?] = [], now: Int64) {
        self.entries = entries
        self.zone = zone
        self.maxIntervalMicros = maxIntervalMicros
        self.startingDeadlineMicros = startingDeadlineMicros
        self.lastRuns = entries.indices.map { $0 < lastRuns.count ? lastRuns[$0] ?? now : now }
        sendCounts = Array(repeating: 0, count: entries.count)
    }

    /// One tick's outcome: the entry to send now (nil: none), and how long to sleep before the next.
    public struct Tick: Sendable, Equatable {
        public let send: Int?
        public let sleepMicros: Int64
    }

    public func state(of entry: Int, now: Int64) -> ScheduleState {
        entries[entry].schedule.state(lastRun: lastRuns[entry], now: now, zone: zone,
                                       startingDeadlineMicros: startingDeadlineMicros)
    }

    static func adjust(_ micros: Int64) -> Int64 { micros > 0 ? micros + driftMicros : micros }

    mutating func populateHeap(now: Int64) {
        heap = entries.indices.map { index in
            let state = state(of: index, now: now)
            return (now + Self.adjust(state.isDue ? 0 : state.nextCheckMicros), index)
        }
    }

    func top(_ heap: [(time: Int64, entry: Int)]) -> Int? {
        heap.indices.min { (heap[$0].time, heap[$0].entry) < (heap[$1].time, heap[$1].entry) }
    }

    /// `Scheduler.tick`: at most one send per call; sleep 0 after a send (look again at once).
    public mutating func tick(now: Int64) -> Tick {
        if heap == nil { populateHeap(now: now) }
        guard var events = heap, let first = top(events) else { return Tick(send: nil, sleepMicros: maxIntervalMicros) }
        let (time, entry) = events[first]
        if time > now { return Tick(send: nil, sleepMicros: min(time - now, maxIntervalMicros)) }
        let state = state(of: entry, now: now)
        events.remove(at: first)
        if state.isDue {
            lastRuns[entry] = now
            sendCounts[entry] += 1
            events.append((now + Self.adjust(state.nextCheckMicros), entry))
            heap = events
            return Tick(send: entry, sleepMicros: 0)
        }
        // Heap time came but the entry asks to wait: re-heap it there (celery#7649).
        events.append((now + Self.adjust(state.nextCheckMicros), entry))
        heap = events
        let next = top(events).map { events[$0].entry }
        return Tick(send: nil, sleepMicros: next != entry ? 0 : min(Self.adjust(state.nextCheckMicros), maxIntervalMicros))
    }

    /// Take last runs from elsewhere (a takeover reads the previous holder's from Redis); the heap
    /// is rebuilt at the next tick. nil keeps the entry's own.
    public mutating func adopt(lastRuns stored: [Int64?]) {
        for index in entries.indices where index < stored.count {
            if let run = stored[index] { lastRuns[index] = max(lastRuns[index], run) }
        }
        heap = nil
    }

    /// The due times an entry passed between its last run and `now` without a send: more than one
    /// means a downtime collapsed them into the single catch-up send Celery makes.
    public func passedDueTimes(of entry: Int, now: Int64) -> [Int64] {
        entries[entry].schedule.dueTimes(after: lastRuns[entry], through: now, zone: zone)
    }
}
