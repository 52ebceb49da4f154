import FleetRecording

/// Puts every node's event timestamps on the recorder's clock.
///
/// An event carries its sender's `time.time()` (`timestamp`) and the recorder notes when it
/// arrived (`receivedAt`). On one clock the difference is the delivery delay: a fraction of a
/// millisecond, or a few milliseconds when Celery buffers task events into `task.multi`. A node
/// whose clock runs off shows it as a large, steady difference. The offset of a node is the 5th
/// percentile of the differences (the quickest deliveries, where the delay is least); beyond
/// `toleranceSeconds` it is a skew and the node's timestamps are corrected by it, below it they
/// are kept as they are (correcting by a delivery delay would bias every wait by it).
public struct ClockAlignment: Sendable {
    public struct NodeOffset: Sendable, Equatable {
        public var node: String
        /// Recorder clock minus the node's clock, seconds (includes the quickest delivery delay).
        public var offsetSeconds: Double
        public var events: Int
        public var corrected: Bool
    }

    public static let toleranceSeconds = 0.020
    /// Per node, sorted by name.
    public private(set) var offsets: [NodeOffset] = []
    private var correctionByNode: [String: Double] = [:]

    public init(events: [RecordedEvent]) {
        var differences: [String: [Double]] = [:]
        for event in events { differences[event.hostname, default: []].append(event.receivedAt - event.timestamp) }
        for node in differences.keys.sorted() {
            let sorted = differences[node]!.sorted()
            let offset = sorted[min(sorted.count - 1, sorted.count / 20)]
            let corrected = abs(offset) > Self.toleranceSeconds
            offsets.append(NodeOffset(node: node, offsetSeconds: offset, events: sorted.count, corrected: corrected))
            if corrected { correctionByNode[node] = offset }
        }
    }

    /// The event's time on the recorder's clock.
    public func time(of event: RecordedEvent) -> Double { event.timestamp + (correctionByNode[event.hostname] ?? 0) }

    /// The largest disagreement between two nodes' clocks, seconds.
    public var skewSeconds: Double {
        guard let low = offsets.map(\.offsetSeconds).min(), let high = offsets.map(\.offsetSeconds).max() else { return 0 }
        return high - low
    }

    /// One line per corrected node, empty when the clocks agree.
    public var report: [String] {
        offsets.filter(\.corrected).map { offset in
            "the clock of \(offset.node) is \(Self.milliseconds(-offset.offsetSeconds)) off the recorder's "
                + "(over \(offset.events) events); its timestamps were corrected by that"
        }
    }

    static func milliseconds(_ seconds: Double) -> String {
        let ms = seconds * 1000
        return (ms >= 0 ? "+" : "") + String(format: "%.1f ms", ms)
    }
}
