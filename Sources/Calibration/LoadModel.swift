/// The recorded arrivals as a scenario's load: per window, the publish rate of each task name
/// (phases with their own mix), with bursts kept as bursts, or every arrival as a trace.
public struct LoadModel: Sendable {
    public struct Arrival: Sendable { public var at: Double; public var task: String }
    public struct Window: Sendable {
        public var start: Double
        public var length: Double
        /// Arrivals per task name in the window, bursts excluded, sorted by name.
        public var counts: [(task: String, count: Int)]
        public var total: Int { counts.reduce(0) { $0 + $1.count } }
    }
    public struct Burst: Sendable { public var at: Double; public var task: String; public var count: Int }

    /// Seconds from the recording's start, sorted.
    public var arrivals: [Arrival]
    public var windows: [Window]
    public var bursts: [Burst]
    public var duration: Double

    /// A second holding at least this many arrivals of one task, and this many times its
    /// window's mean rate, is a burst: published at its first arrival, the excess over the mean.
    static let burstMinimum = 20
    static let burstFactor = 5.0

    public init(arrivals unsorted: [Arrival], duration: Double, windowSeconds: Double) {
        arrivals = unsorted.sorted { ($0.at, $0.task) < ($1.at, $1.task) }
        self.duration = duration
        let windowCount = max(1, Int((duration / windowSeconds).rounded(.up)))
        func window(of time: Double) -> Int { min(windowCount - 1, max(0, Int(time / windowSeconds))) }
        func length(of index: Int) -> Double { min(windowSeconds, duration - Double(index) * windowSeconds) }
        var timesByTask: [String: [Double]] = [:]
        for arrival in arrivals { timesByTask[arrival.task, default: []].append(arrival.at) }
        var bursts: [Burst] = []
        // Arrivals per window and task, less what went into bursts.
        var kept = [[String: Int]](repeating: [:], count: windowCount)
        for task in timesByTask.keys.sorted() {
            let sorted = timesByTask[task]!.sorted()
            var raw = [Int](repeating: 0, count: windowCount)
            for time in sorted { raw[window(of: time)] += 1 }
            for index in 0..<windowCount { kept[index][task] = raw[index] }
            // A burst is a one-second span, starting at an arrival, that holds at least
            // `burstMinimum` arrivals and `burstFactor` times the mean rate of the window it starts
            // in. Spans start at arrivals, not on whole seconds or windows, which would cut one in two.
            var i = 0
            while i < sorted.count {
                var j = i
                while j < sorted.count, sorted[j] < sorted[i] + 1 { j += 1 }
                var inSpan = j - i
                if inSpan >= Self.burstMinimum {
                    // Slide the span to its densest start within this second.
                    var (bestStart, bestEnd) = (i, j)
                    var end = j
                    for start in i..<j {
                        while end < sorted.count, sorted[end] < sorted[start] + 1 { end += 1 }
                        // Ties go to the later start: the span then opens at the cluster itself.
                        if end - start >= bestEnd - bestStart { (bestStart, bestEnd) = (start, end) }
                    }
                    (i, j) = (bestStart, bestEnd)
                    inSpan = j - i
                }
                let home = window(of: sorted[i])
                let mean = Double(raw[home]) / max(length(of: home), 1)
                if inSpan >= Self.burstMinimum, Double(inSpan) >= Self.burstFactor * mean {
                    // The steady rate around the burst (a window's length centred on it, less the
                    // burst's own second) carries on through its second.
                    let low = sorted[i] - windowSeconds / 2, high = sorted[i] + windowSeconds / 2
                    let around = sorted.filter { $0 >= low && $0 < high }.count - inSpan
                    let span = min(high, duration) - max(low, 0) - 1
                    let excess = inSpan - Int((Double(max(0, around)) / max(span, 1)).rounded())
                    if excess >= Self.burstMinimum {
                        bursts.append(Burst(at: sorted[i], task: task, count: excess))
                        // Taken from the windows its arrivals fall in, latest first.
                        var left = excess
                        for k in stride(from: j - 1, through: i, by: -1) where left > 0 {
                            kept[window(of: sorted[k])][task, default: 0] -= 1
                            left -= 1
                        }
                    }
                    i = j
                } else {
                    i += 1
                }
            }
        }
        var windows: [Window] = []
        for index in 0..<windowCount {
            let counts = kept[index].keys.sorted().compactMap { task -> (task: String, count: Int)? in
                let count = kept[index][task] ?? 0
                return count > 0 ? (task, count) : nil
            }
            windows.append(Window(start: Double(index) * windowSeconds, length: length(of: index), counts: counts))
        }
        self.windows = windows
        self.bursts = bursts.sorted { ($0.at, $0.task) < ($1.at, $1.task) }
    }

    /// `at,task` lines for `load.trace`.
    public var traceCSV: String {
        var text = "at,task\n"
        for arrival in arrivals { text += String(format: "%.6f", arrival.at) + "," + arrival.task + "\n" }
        return text
    }
}
