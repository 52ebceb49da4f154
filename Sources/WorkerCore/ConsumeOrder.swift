import CeleryWire

/// The order in which one consumer asks for its queues (kombu's `_brpop_start`): every queue at the
/// lowest step first, then the next step, so priority beats queue order. Within a step the queues
/// follow `queue_order_strategy`; round robin moves the queue just served to the back
/// (`_queue_cycle.rotate`).
public struct ConsumeOrder: Sendable {
    public let strategy: QueueOrderStrategy
    public let steps: [Int]
    private var cycle: [String]
    /// The BRPOP keys in order, recomputed only when the cycle changes.
    public private(set) var keys: [String]

    public init(queues: [String], steps: [Int], strategy: QueueOrderStrategy) {
        self.strategy = strategy
        self.steps = steps.isEmpty ? [0] : steps
        self.cycle = strategy == .sorted ? queues.sorted() : queues
        self.keys = []
        self.keys = Self.keys(cycle: cycle, steps: self.steps)
    }

    /// Record that a message came from `queue`; round robin rotates it to the back.
    public mutating func served(queue: String) {
        guard strategy == .roundRobin, cycle.count > 1, let index = cycle.firstIndex(of: queue) else { return }
        cycle.append(cycle.remove(at: index))
        keys = Self.keys(cycle: cycle, steps: steps)
    }

    /// `add_consumer`: consume from one more queue (at the back of the cycle, or in name order for
    /// `sorted`). Returns false when it is consumed already.
    @discardableResult
    public mutating func add(queue: String) -> Bool {
        guard !cycle.contains(queue) else { return false }
        cycle.append(queue)
        if strategy == .sorted { cycle.sort() }
        keys = Self.keys(cycle: cycle, steps: steps)
        return true
    }

    /// `cancel_consumer`: stop consuming from a queue. Returns false when it was not consumed.
    @discardableResult
    public mutating func remove(queue: String) -> Bool {
        guard let index = cycle.firstIndex(of: queue) else { return false }
        cycle.remove(at: index)
        keys = Self.keys(cycle: cycle, steps: steps)
        return true
    }

    /// The queue a list key belongs to (the key without its priority suffix).
    public static func queue(ofKey key: String) -> String {
        guard let range = key.firstRange(of: PriorityQueueKeys.separator) else { return key }
        return String(key[key.startIndex..<range.lowerBound])
    }

    private static func keys(cycle: [String], steps: [Int]) -> [String] {
        PriorityQueueKeys.brpopKeys(queues: cycle, steps: steps)
    }
}
