import WorkerCore

/// The broker by delivery tag, as test cases and the conformance suite read best: the simulator
/// itself keys `unacked` by delivery number, so these find the number of a tag by a scan (fine for
/// a handful of entries; the simulator never calls them).
extension SimBroker {
    func deliveryNumber(ofTag tag: String) -> Int? {
        unackedEntries().first { $0.request.deliveryTag == tag }?.request.deliveryNumber
    }

    func unackedEntry(tag: String) -> UnackedEntry? {
        deliveryNumber(ofTag: tag).flatMap { unackedEntry(deliveryNumber: $0) }
    }

    @discardableResult
    mutating func ack(deliveryTag: String) -> UnackedEntry? {
        deliveryNumber(ofTag: deliveryTag).flatMap { ack(deliveryNumber: $0) }
    }

    mutating func reject(deliveryTag: String, requeue: Bool, now: Instant) -> (entry: UnackedEntry?, delivery: (consumer: Int, request: TaskRequest)?) {
        guard let number = deliveryNumber(ofTag: deliveryTag) else { return (nil, nil) }
        return reject(deliveryNumber: number, requeue: requeue, now: now)
    }

    mutating func restore(deliveryTag: String, now: Instant) -> (entry: UnackedEntry?, delivery: (consumer: Int, request: TaskRequest)?) {
        guard let number = deliveryNumber(ofTag: deliveryTag) else { return (nil, nil) }
        return restore(deliveryNumber: number, now: now)
    }

    mutating func expiredTags(now: Instant) -> [String] {
        expiredDeliveries(now: now).compactMap { unackedEntry(deliveryNumber: $0)?.request.deliveryTag }
    }
}
