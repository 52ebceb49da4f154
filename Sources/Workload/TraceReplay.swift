import Scenarios
import WorkerCore

/// A `load.trace` replayed: each row is one arrival at its time with its task, with no randomness.
///
/// Under `load_factor` F a row becomes ⌊F⌋ arrivals plus one more with probability frac(F), drawn
/// from its own seed stream (`stream`), so the phases' arrival stream is left as it was. A row's
/// copies are spread evenly over the gap to the next row (the last row's over the gap to the end of
/// the load), so a doubled trace keeps its shape rather than stacking pairs at each instant.
struct TraceReplay {
    /// The seed stream of the extra copies' draws (streams 1 to 7 are taken).
    static let stream: UInt64 = 8

    private let offsets: [TimeSpan]
    private let taskOfRow: [Int32]
    /// Scenario task index of each of the trace's distinct names.
    private let taskIndexOfName: [Int]
    private let start: Instant
    private let duration: TimeSpan
    private let whole: Int
    private let fraction: Double
    private var random: SeededRandom
    private var row = -1
    private var copy = 0
    private var copies = 0

    init(trace: LoadTrace, factor: Double, taskIndexByName: [String: Int], start: Instant, duration: TimeSpan, seed: UInt64) {
        offsets = trace.offsets
        taskOfRow = trace.taskOfRow
        taskIndexOfName = trace.taskNames.map { taskIndexByName[$0] ?? 0 }
        self.start = start
        self.duration = duration
        let floored = factor.rounded(.down)
        whole = Int(floored)
        fraction = factor - floored
        random = SeededRandom.split(seed: seed, stream: Self.stream)
    }

    /// The next arrival, or nil after the last row's copies.
    mutating func next() -> Instant? {
        while copy >= copies {
            row += 1
            guard row < offsets.count else { return nil }
            copy = 0
            copies = whole + (fraction > 0 && random.nextUnitDouble() < fraction ? 1 : 0)
        }
        let offset = offsets[row]
        let until = row + 1 < offsets.count ? offsets[row + 1] : duration
        let gap = max(0, until.microseconds - offset.microseconds)
        let at = offset + TimeSpan(microseconds: gap * Int64(copy) / Int64(copies))
        copy += 1
        return start + at
    }

    /// The task of the arrival `next` returned last.
    var task: Int { taskIndexOfName[Int(taskOfRow[max(0, min(row, taskOfRow.count - 1))])] }
}
