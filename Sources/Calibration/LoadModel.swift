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
        var perWindow = [[String: [Double]]](repeating: [:], count: windowCount)
        for arrival in arrivals {
            let index = min(windowCount - 1, max(0, Int(arrival.at / windowSeconds)))
            perWindow[index][arrival.task, default: []].append(arrival.at)
        }
        var windows: [Window] = []
        var bursts: [Burst] = []
        for (index, tasks) in perWindow.enumerated() {
            let start = Double(index) * windowSeconds
            let length = min(windowSeconds, duration - start)
            var counts: [(String, Int)] = []
            for task in tasks.keys.sorted() {
                let times = tasks[task]!
                var seconds: [Int: [Double]] = [:]
                for time in times { seconds[Int(time), default: []].append(time) }
                let mean = Double(times.count) / max(length, 1)
                var kept = times.count
                for second in seconds.keys.sorted() {
                    let inSecond = seconds[second]!
                    if inSecond.count >= Self.burstMinimum, Double(inSecond.count) >= Self.burstFactor * mean {
                        // The mean rate outside the burst carries on through its second.
                        let excess = inSecond.count - Int(((Double(times.count - inSecond.count)) / max(length - 1, 1)).rounded())
                        if excess >= Self.burstMinimum {
                            bursts.append(Burst(at: inSecond.min()!, task: task, count: excess))
                            kept -= excess
                        }
                    }
                }
                counts.append((task, kept))
            }
            windows.append(Window(start: start, length: length, counts: counts.map { (task: $0.0, count: $0.1) }))
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
