import FleetRecording
/// The hand-off costs a recording shows, when the publish times are exact (task-sent events or
/// keyspace notifications): the broker's part (publish → received) and the child's part
/// (received → started), taken where neither waited for a busy fleet.
public struct HostEstimate: Sendable {
    /// Each way: half the median publish → received time of the quicker half of the deliveries.
    public var brokerLatency: Double?
    /// received → started: the median of the quicker half (those that did not wait for a slot).
    public var childHandoff: Double?
    public var samples: Int
    public var note: String
    /// Slot time after a body that the recording shows (the result, the ack, taking the next
    /// message): task-succeeded → the node's next task-started while its queue had a backlog,
    /// median, less the hand-off and a fetch's round trip. Nil without such moments.
    public var slotTurnaround: Double?
    public var turnaroundNote = ""
    public var handoffNote = ""

    /// - Parameters:
    ///   - samples: the sampled queue lengths: a delivery counts for the broker latency only when
    ///     the sample after its publish found its queue empty (it was not waiting behind others).
    ///   - concurrency: each node's slots: a hand-off counts only when its task was received while
    ///     the node had a slot free (a prefetched message waits for a slot first, which is queue
    ///     wait, not hand-off). Nodes not listed use the most tasks seen running on them at once.
    ///   - fetchInSlot: the fleet takes the next message only after acknowledging (late acks,
    ///     prefetch multiplier 1), so a fetch's round trip is part of each slot's time per task.
    public init(attempts: [RecordedAttempt], samples lengthSamples: [QueueLengthSample] = [], concurrency: [String: Int] = [:],
                fetchInSlot: Bool = false) {
        let precise = attempts.filter { ($0.publishMethod == .taskSent || $0.publishMethod == .keyspace) && $0.retries == 0 && $0.eta == nil }
        var delivery: [Double]
        if lengthSamples.isEmpty {
            // No lengths to tell which messages queued: the quicker half stands for those that did not.
            let all = precise.compactMap { attempt in attempt.publishedAt.map { attempt.receivedAt - $0 } }.filter { $0 >= 0 }.sorted()
            delivery = Array(all.prefix(max(1, all.count / 2)))
        } else {
            let emptyAfter = Self.queueEmptyAfter(lengthSamples)
            let untaken = precise.filter { attempt in attempt.publishedAt.map { emptyAfter($0, attempt.queue) } ?? false }
            delivery = untaken.compactMap { attempt in attempt.publishedAt.map { attempt.receivedAt - $0 } }.filter { $0 >= 0 }.sorted()
        }
        if precise.isEmpty { delivery = [] }
        brokerLatency = Quantiles.median(delivery).map { $0 / 2 }
        let free = Self.receivedWithAFreeSlot(attempts, concurrency: concurrency)
        let handoffs = free.compactMap { attempt in attempt.startedAt.map { $0 - attempt.receivedAt } }.filter { $0 >= 0 }.sorted()
        childHandoff = Quantiles.median(handoffs)
        handoffNote = "task-received → task-started, median of the \(handoffs.count) received while their node had a slot free"
        samples = delivery.count
        note = delivery.isEmpty
            ? "no exact publish times of messages that did not queue (task-sent events or keyspace notifications, and an empty queue): the broker latency is not measured"
            : "half the median publish → task-received of \(delivery.count) messages published to an empty queue (exact publish times)"
                + (lengthSamples.isEmpty ? " — no queue lengths: the quicker half of the deliveries" : "")

        if let busy = Self.slotTimePerTask(attempts, lengthSamples, concurrency: concurrency) {
            // A fetch is in a slot's time only when the next message is taken after the ack.
            let fetch = fetchInSlot ? 2 * (brokerLatency ?? 0) : 0
            slotTurnaround = max(0, busy.seconds - (childHandoff ?? 0) - fetch)
            turnaroundNote = "while a backlog waited: slots × time / tasks ended, less their run time, the hand-off"
                + (fetchInSlot ? " and a fetch" : "") + " (\(busy.tasks) tasks, " + String(format: "%.1f", busy.span) + " s)"
        }
    }
}

extension HostEstimate {
    /// A slot's time per task beyond its run time, from the stretches when the queues had a backlog
    /// (every slot was busy or about to be): per node, its slots × the stretches' length over the
    /// tasks it ended in them, less their mean run time; the median over nodes. Nil with fewer
    /// than 50 such tasks.
    static func slotTimePerTask(_ attempts: [RecordedAttempt], _ samples: [QueueLengthSample],
                                concurrency: [String: Int]) -> (seconds: Double, tasks: Int, span: Double)? {
        var stretches: [(Double, Double)] = []
        for (a, b) in zip(samples, samples.dropFirst()) where a.lengths.contains(where: { $0.length > 0 }) && b.lengths.contains(where: { $0.length > 0 }) {
            if let last = stretches.last, last.1 == a.at { stretches[stretches.count - 1].1 = b.at } else { stretches.append((a.at, b.at)) }
        }
        guard !stretches.isEmpty else { return nil }
        let span = stretches.reduce(0) { $0 + $1.1 - $1.0 }
        func inside(_ time: Double) -> Bool {
            var low = 0, high = stretches.count
            while low < high { let mid = (low + high) / 2; if stretches[mid].0 <= time { low = mid + 1 } else { high = mid } }
            return low > 0 && time < stretches[low - 1].1
        }
        var byNode: [String: (count: Int, run: Double)] = [:]
        for attempt in attempts {
            guard let end = attempt.endedAt, let run = attempt.runtime, attempt.startedAt != nil, inside(end) else { continue }
            byNode[attempt.node, default: (0, 0)].count += 1
            byNode[attempt.node, default: (0, 0)].run += run
        }
        var perNode: [Double] = []
        var tasks = 0
        for node in byNode.keys.sorted() {
            let (count, run) = byNode[node]!
            guard count >= 10 else { continue }
            let slots = Double(concurrency[node] ?? Self.peakRunning(attempts.filter { $0.node == node }))
            perNode.append(max(0, (slots * span - run) / Double(count)))
            tasks += count
        }
        guard tasks >= 50, let median = Quantiles.median(perNode.sorted()) else { return nil }
        return (median, tasks, span)
    }

    static func peakRunning(_ attempts: [RecordedAttempt]) -> Int {
        var edges: [(Double, Int)] = []
        for attempt in attempts {
            guard let start = attempt.startedAt, let end = attempt.endedAt else { continue }
            edges.append((start, 1)); edges.append((end, -1))
        }
        var running = 0, peak = 0
        for edge in edges.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) { running += edge.1; peak = max(peak, running) }
        return max(1, peak)
    }

    /// Whether the first length sample after `time` found `queue` (all its priority lists) empty.
    static func queueEmptyAfter(_ samples: [QueueLengthSample]) -> (Double, String?) -> Bool {
        let times = samples.map(\.at)
        return { time, queue in
            var low = 0, high = times.count
            while low < high { let mid = (low + high) / 2; if times[mid] <= time { low = mid + 1 } else { high = mid } }
            guard low < samples.count else { return false }
            return samples[low].lengths.filter { queue == nil || $0.queue == queue }.allSatisfy { $0.length == 0 }
        }
    }

    /// The attempts received while fewer tasks than the node's slots were running on it.
    static func receivedWithAFreeSlot(_ attempts: [RecordedAttempt], concurrency: [String: Int]) -> [RecordedAttempt] {
        var byNode: [String: [RecordedAttempt]] = [:]
        for attempt in attempts { byNode[attempt.node, default: []].append(attempt) }
        var out: [RecordedAttempt] = []
        for node in byNode.keys.sorted() {
            let mine = byNode[node]!
            // +1 at a start, -1 at an end; the running count just before each receipt.
            var edges: [(Double, Int)] = []
            for attempt in mine {
                if let start = attempt.startedAt { edges.append((start, 1)) }
                if attempt.startedAt != nil, let end = attempt.endedAt { edges.append((end, -1)) }
            }
            edges.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            var peak = 0, running = 0
            for edge in edges { running += edge.1; peak = max(peak, running) }
            let slots = concurrency[node] ?? max(1, peak)
            var index = 0
            running = 0
            for attempt in mine.sorted(by: { $0.receivedAt < $1.receivedAt }) {
                while index < edges.count, edges[index].0 <= attempt.receivedAt { running += edges[index].1; index += 1 }
                if running < slots { out.append(attempt) }
            }
        }
        return out
    }
}
