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

    public init(attempts: [RecordedAttempt]) {
        let precise = attempts.filter { ($0.publishMethod == .taskSent || $0.publishMethod == .keyspace) && $0.retries == 0 && $0.eta == nil }
        let delivery = precise.compactMap { attempt in attempt.publishedAt.map { attempt.receivedAt - $0 } }.filter { $0 >= 0 }.sorted()
        // A delivery taken at once is one where the fleet had a free slot; the quicker half of
        // the deliveries stands for those, the slower half holds the ones that queued.
        let quick = Array(delivery.prefix(max(1, delivery.count / 2)))
        brokerLatency = Quantiles.median(quick).map { $0 / 2 }
        let handoffs = attempts.compactMap { attempt in attempt.startedAt.map { $0 - attempt.receivedAt } }.filter { $0 >= 0 }.sorted()
        let unwaited = Array(handoffs.prefix(max(1, handoffs.count / 2)))
        childHandoff = Quantiles.median(unwaited)
        samples = delivery.count
        note = delivery.isEmpty
            ? "no exact publish times (no task-sent events or keyspace notifications): the broker latency is not measured"
            : "from \(delivery.count) exact publish times: publish → received, lower half, halved; received → started, lower half"
    }
}
