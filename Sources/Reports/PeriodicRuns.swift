import Scenarios
import WorkerCore

/// Judges what the beats of a run sent against when each periodic entry was due: the sends, the
/// due times, the duplicates and the missed runs of every entry, each duplicate and miss with its
/// cause. Pure: the driver hands in the sends, the beats and what the beats could do when (their
/// coverage), all on the true wall clock in unix microseconds; nothing here reads a clock.
///
/// **Due times, precisely.** The window is from the wall-clock instant of the run's start
/// (exclusive: an entry never sent counts its start as its last run, as Celery does) to the end of
/// the load (exclusive: beats stop there).
///
/// - A **crontab**'s due times are the schedule's own, on the true wall clock, within the window.
///   A send belongs to the latest due time at or before it *on the sending beat's clock* (a beat
///   whose clock is 30 s ahead sends the 02:00 run at 01:59:30 true time; it is still the 02:00
///   run). A due time with two sends has a duplicate; one with none is a missed run.
/// - An **interval** has no fixed due times (each run is due an interval after the last send, on
///   whichever beat's clock), so the sends themselves are judged, on the true clock: a send less
///   than half an interval after the previous one is a duplicate; a gap of g > 1.5 intervals after
///   the previous send (or after the start) held missed runs, as many as the k ≥ 1 with
///   (k + ½) intervals < g — the runs that would have gone out in between, half an interval of
///   slack each. The gap from the last send to the end of the window counts the same way.
///
/// **Causes.** A miss is explained by what the beats could do at its time (`Coverage`): no beat
/// running, the lock held by a killed beat (or free) until another took it, the broker down.
/// When a beat could send then, a due time a takeover skipped for `beat_cron_starting_deadline`
/// is named so; else a beat with an offset clock is the cause. A duplicate is explained by who
/// sent the two: beats without the lock, or beats whose clocks differ.
public struct PeriodicRuns: Sendable {
    public enum Cadence: Sendable, Equatable {
        /// `every:`: judged on the sends (see the type's doc).
        case interval(everyMicros: Int64)
        /// A crontab: its due times on the true wall clock, ascending, covering the window and a
        /// margin either side as wide as the beats' clock offsets (sends on an offset clock may
        /// belong to a due time just outside the window).
        case dueTimes([Int64])
    }

    public struct Entry: Sendable {
        public var name: String
        public var task: String
        public var schedule: String
        public var cadence: Cadence
        public init(name: String, task: String, schedule: String, cadence: Cadence) {
            self.name = name; self.task = task; self.schedule = schedule; self.cadence = cadence
        }
    }

    public struct Beat: Sendable {
        public var name: String
        public var lock: Bool
        public var clockOffsetMicros: Int64
        public var lockTaken = 0
        public init(name: String, lock: Bool, clockOffsetMicros: Int64) {
            self.name = name; self.lock = lock; self.clockOffsetMicros = clockOffsetMicros
        }
    }

    public struct Send: Sendable {
        public var entry: Int
        public var beat: Int
        /// When it was sent, true wall clock.
        public var atMicros: Int64
        public init(entry: Int, beat: Int, atMicros: Int64) { self.entry = entry; self.beat = beat; self.atMicros = atMicros }
    }

    /// What the beats could do from an instant on, until the next change.
    public enum Coverage: Sendable, Equatable {
        /// A live beat holds the lock, or a live beat sends without it.
        case sending
        /// No beat process is alive.
        case noBeat
        /// Beats are alive but none holds the lock: `previous` held it and was killed (the lock
        /// waits out its expiry) or stopped (it released it; a standby takes it at its next look).
        case lockLapse(previous: String, killed: Bool)
        /// The broker is unreachable: no beat can take the lock or send.
        case brokerDown
    }

    public let windowStartMicros: Int64
    public let windowEndMicros: Int64
    public var entries: [Entry]
    public var beats: [Beat]
    public var sends: [Send] = []
    /// (from, coverage): each in force from its instant until the next; the first at the start.
    public var coverage: [(fromMicros: Int64, state: Coverage)] = []
    /// Crontab runs a beat did not catch up when it took over because the last passed due time
    /// was older than `beat_cron_starting_deadline`: (entry, that due time, when).
    public var deadlineSkips: [(entry: Int, dueMicros: Int64, atMicros: Int64)] = []

    public init(windowStartMicros: Int64, windowEndMicros: Int64, entries: [Entry], beats: [Beat]) {
        self.windowStartMicros = windowStartMicros
        self.windowEndMicros = windowEndMicros
        self.entries = entries
        self.beats = beats
    }

    /// Records a change of coverage (a repeat of the state in force is dropped).
    public mutating func cover(from micros: Int64, _ state: Coverage) {
        if let last = coverage.last, last.state == state { return }
        if let last = coverage.last, last.fromMicros == micros { coverage.removeLast() }
        if let last = coverage.last, last.state == state { return }
        coverage.append((micros, state))
    }

    public func summary() -> RunSummary.PeriodicSummary {
        var beatFigures = beats.map { RunSummary.BeatFigures(beat: $0.name, lock: $0.lock, clockOffsetMicros: $0.clockOffsetMicros) }
        for (index, beat) in beats.enumerated() { beatFigures[index].lockTaken = beat.lockTaken }
        for send in sends where send.beat < beatFigures.count { beatFigures[send.beat].sends += 1 }
        let figures = entries.indices.map { index in
            var tally = CauseTally(start: windowStartMicros)
            let mine = sends.filter { $0.entry == index }
            var figure = RunSummary.PeriodicFigures(entry: entries[index].name, task: entries[index].task,
                                                    schedule: entries[index].schedule)
            figure.sends = mine.count
            switch entries[index].cadence {
            case .dueTimes(let times): judgeCrontab(index, times: times, sends: mine, into: &figure, &tally)
            case .interval(let every): judgeInterval(index, every: every, sends: mine, into: &figure, &tally)
            }
            figure.duplicateCauses = tally.duplicates
            figure.missedCauses = tally.missed
            return figure
        }
        return RunSummary.PeriodicSummary(entries: figures, beats: beatFigures)
    }

    // MARK: Crontabs

    func judgeCrontab(_ entry: Int, times: [Int64], sends: [Send], into figure: inout RunSummary.PeriodicFigures,
                      _ tally: inout CauseTally) {
        var byDue: [Int: [Send]] = [:]
        var unattributed: [Send] = []
        var offsets: [Int64] = []
        for send in sends {
            let clock = send.atMicros + offset(of: send.beat)
            // The latest due time at or before the send on its beat's clock.
            let after = times.partitionIndex { $0 > clock }
            guard after > 0 else { unattributed.append(send); continue }
            byDue[after - 1, default: []].append(send)
            offsets.append(send.atMicros - times[after - 1])
        }
        if let least = offsets.min(), let most = offsets.max() { figure.sendOffsetMicros = RunSummary.Span(min: least, max: most) }
        for (index, due) in times.enumerated() {
            let inWindow = due > windowStartMicros && due < windowEndMicros
            if inWindow { figure.due += 1 }
            let sent = byDue[index] ?? []
            if sent.isEmpty {
                guard inWindow else { continue }
                figure.missed += 1
                tally.miss(missCause(entry, at: due, gapFrom: due, to: due), at: due)
            }
            for (first, second) in zip(sent, sent.dropFirst()) {
                figure.duplicates += 1
                tally.duplicate(duplicateCause(first, second), at: second.atMicros)
            }
        }
        for send in unattributed {
            figure.duplicates += 1
            tally.duplicate("no due time at or before it on \(beats[send.beat].name)'s clock", at: send.atMicros)
        }
    }

    // MARK: Intervals

    func judgeInterval(_ entry: Int, every: Int64, sends: [Send], into figure: inout RunSummary.PeriodicFigures,
                       _ tally: inout CauseTally) {
        let ordered = sends.sorted { ($0.atMicros, $0.beat) < ($1.atMicros, $1.beat) }
        var previous: Send? = nil
        var gaps: [Int64] = []
        func missedRuns(from start: Int64, to end: Int64) {
            let count = Self.missedRuns(gapMicros: end - start, everyMicros: every)
            guard count > 0 else { return }
            figure.missed += count
            for k in 1...count {
                let due = start + Int64(k) * every
                tally.miss(missCause(entry, at: due, gapFrom: start, to: end), at: due)
            }
        }
        for send in ordered {
            let from = previous?.atMicros ?? windowStartMicros
            if let previous {
                gaps.append(send.atMicros - previous.atMicros)
                if 2 * (send.atMicros - previous.atMicros) < every {
                    figure.duplicates += 1
                    tally.duplicate(duplicateCause(previous, send), at: send.atMicros)
                    continue   // the duplicate is not the run the next gap counts from
                }
            }
            missedRuns(from: from, to: send.atMicros)
            previous = send
        }
        missedRuns(from: previous?.atMicros ?? windowStartMicros, to: windowEndMicros)
        figure.due = figure.sends - figure.duplicates + figure.missed
        if let least = gaps.min(), let most = gaps.max() { figure.gapMicros = RunSummary.Span(min: least, max: most) }
    }

    /// The k ≥ 1 with (k + ½)·every < gap: runs a gap of more than 1.5 intervals held.
    public static func missedRuns(gapMicros gap: Int64, everyMicros every: Int64) -> Int {
        let twice = 2 * gap - every
        guard every > 0, twice > 2 * every else { return 0 }
        return Int((twice - 1) / (2 * every))
    }

    // MARK: Causes

    func offset(of beat: Int) -> Int64 { beat < beats.count ? beats[beat].clockOffsetMicros : 0 }

    func duplicateCause(_ first: Send, _ second: Send) -> String {
        let a = beats[first.beat], b = beats[second.beat]
        guard first.beat != second.beat else { return "unexplained (\(a.name) sent it twice)" }
        if !a.lock && !b.lock { return "two beats held no lock (\(a.name) and \(b.name) both sent it)" }
        if !a.lock || !b.lock {
            let (without, with) = a.lock ? (b, a) : (a, b)
            return "two beats held no lock (\(without.name) sends without it, beside \(with.name) holding it)"
        }
        if a.clockOffsetMicros != b.clockOffsetMicros {
            return "beat clock offset (\(b.name)'s clock is \(Self.offsetText(b.clockOffsetMicros - a.clockOffsetMicros)) \(a.name)'s)"
        }
        return "unexplained (\(a.name) and \(b.name) both held the lock)"
    }

    /// Why a run due at `due` went unsent; an interval's miss looks at its whole gap when the
    /// beats could send at the run's own instant.
    func missCause(_ entry: Int, at due: Int64, gapFrom start: Int64, to end: Int64) -> String {
        if let skip = deadlineSkips.first(where: { $0.entry == entry && $0.dueMicros == due }) {
            return "beyond beat_cron_starting_deadline (not caught up when a beat took over at \(clock(skip.atMicros)))"
        }
        let index = segment(at: due)
        if let index, coverage[index].state != .sending { return describe(index) }
        if let gapIndex = coverage.indices.first(where: { i in
            coverage[i].state != .sending && coverage[i].fromMicros < end && segmentEnd(i) > start
        }) {
            return describe(gapIndex)
        }
        if let offset = beats.first(where: { $0.clockOffsetMicros != 0 }) {
            return "beat clock offset (\(offset.name)'s clock is \(Self.offsetText(offset.clockOffsetMicros)) the true time)"
        }
        return "unexplained"
    }

    func segment(at micros: Int64) -> Int? {
        let after = coverage.partitionIndex { $0.fromMicros > micros }
        return after > 0 ? after - 1 : nil
    }

    func segmentEnd(_ index: Int) -> Int64 { index + 1 < coverage.count ? coverage[index + 1].fromMicros : .max }

    func describe(_ index: Int) -> String {
        let from = clock(coverage[index].fromMicros)
        let to = segmentEnd(index) >= windowEndMicros ? "the end of the load" : clock(segmentEnd(index))
        switch coverage[index].state {
        case .noBeat: return "no beat running from \(from) to \(to)"
        case .brokerDown: return "broker down from \(from) to \(to): no beat could send"
        case .lockLapse(let previous, true):
            return "lock takeover after the holder was killed (\(previous) killed at \(from), the lock taken again at \(to))"
        case .lockLapse(let previous, false):
            return "lock handover after \(previous) stopped (from \(from) to \(to))"
        case .sending: return "unexplained"
        }
    }

    /// A run-relative time as stories show it: `00:05:10.000`.
    func clock(_ micros: Int64) -> String { Self.runTime(micros - windowStartMicros) }

    static func runTime(_ micros: Int64) -> String {
        let sign = micros < 0 ? "-" : ""
        let millis = abs(micros) / 1_000
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let rest = millis % 1_000
        let fraction = rest < 10 ? "00\(rest)" : rest < 100 ? "0\(rest)" : "\(rest)"
        return "\(sign)\(two(millis / 3_600_000)):\(two(millis / 60_000 % 60)):\(two(millis / 1_000 % 60)).\(fraction)"
    }

    /// `30s ahead of`, `1m30s behind`.
    static func offsetText(_ micros: Int64) -> String {
        DurationText.format(TimeSpan(microseconds: abs(micros))) + (micros >= 0 ? " ahead of" : " behind")
    }

    /// Causes in the order first seen, each with its count and first instant.
    struct CauseTally {
        let start: Int64
        var duplicates: [RunSummary.PeriodicCause] = []
        var missed: [RunSummary.PeriodicCause] = []

        mutating func duplicate(_ cause: String, at micros: Int64) { Self.add(cause, micros - start, to: &duplicates) }
        mutating func miss(_ cause: String, at micros: Int64) { Self.add(cause, micros - start, to: &missed) }

        static func add(_ cause: String, _ micros: Int64, to list: inout [RunSummary.PeriodicCause]) {
            if let index = list.firstIndex(where: { $0.cause == cause }) {
                list[index].count += 1
                list[index].firstAtSeconds = min(list[index].firstAtSeconds, Double(micros) / 1_000_000)
            } else {
                list.append(RunSummary.PeriodicCause(cause: cause, count: 1, firstAtSeconds: Double(micros) / 1_000_000))
            }
        }
    }
}

extension Array {
    /// The first index whose element satisfies `belongsToSecondPart` (all after it do too): a binary search.
    fileprivate func partitionIndex(where belongsToSecondPart: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if belongsToSecondPart(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
