import CeleryWire

/// The order in which one consumer asks for its queues (kombu's `_brpop_start`): every queue at the
/// lowest step first, then the next step, so priority beats queue order. Within a step the queues
/// follow `queue_order_strategy`; round robin moves the queue just served to the back
/// (`_queue_cycle.rotate`).
public struct ConsumeOrder: Sendable {
    public let strategy: QueueOrderStrategy
    public let steps: [Int]
    /// The queues in their current order, each with its list key at every step: the keys are
    /// built once per queue, so a round-robin turn (once per message received) only reorders
    /// strings it already has. Rebuilding them each turn was a fifth of the simulator's
    /// instructions on dify-default (9 queues × 4 steps: 27 concatenations a message).
    private var cycle: [Queue]
    /// The BRPOP keys in order, recomputed only when the cycle changes.
    public private(set) var keys: [String]

    private struct Queue: Sendable {
        let name: String
        /// `steps.count` keys: the queue's list key at each priority step.
        let keys: [String]
    }

    public init(queues: [String], steps: [Int], strategy: QueueOrderStrategy) {
        self.strategy = strategy
        let steps = steps.isEmpty ? [0] : steps
        self.steps = steps
        self.cycle = (strategy == .sorted ? queues.sorted() : queues).map { Self.queue($0, steps: steps) }
        self.keys = []
        rebuildKeys()
    }

    /// Record that a message came from `queue`; round robin rotates it to the back.
    public mutating func served(queue: String) {
        guard strategy == .roundRobin, cycle.count > 1, let index = cycle.firstIndex(where: { $0.name == queue }) else { return }
        // Already at the back: the order (and so the keys) stays as it is.
        guard index != cycle.count - 1 else { return }
        let count = cycle.count
        cycle.append(cycle.remove(at: index))
        // The same move in each step's run of keys, by swaps (no reference counting), in place
        // when no fetch directive still holds the previous order.
        keys.withUnsafeMutableBufferPointer { keys in
            for base in stride(from: 0, to: keys.count, by: count) {
                for position in (base + index)..<(base + count - 1) { keys.swapAt(position, position + 1) }
            }
        }
    }

    /// `add_consumer`: consume from one more queue (at the back of the cycle, or in name order for
    /// `sorted`). Returns false when it is consumed already.
    @discardableResult
    public mutating func add(queue: String) -> Bool {
        guard !cycle.contains(where: { $0.name == queue }) else { return false }
        cycle.append(Self.queue(queue, steps: steps))
        if strategy == .sorted { cycle.sort { $0.name < $1.name } }
        rebuildKeys()
        return true
    }

    /// `cancel_consumer`: stop consuming from a queue. Returns false when it was not consumed.
    @discardableResult
    public mutating func remove(queue: String) -> Bool {
        guard let index = cycle.firstIndex(where: { $0.name == queue }) else { return false }
        cycle.remove(at: index)
        rebuildKeys()
        return true
    }

    /// The queue a list key belongs to (the key without its priority suffix).
    public static func queue(ofKey key: String) -> String {
        guard let range = key.firstRange(of: PriorityQueueKeys.separator) else { return key }
        return String(key[key.startIndex..<range.lowerBound])
    }

    private static func queue(_ name: String, steps: [Int]) -> Queue {
        // One queue's keys at every step, lowest first: one array, not one per step.
        Queue(name: name, keys: PriorityQueueKeys.brpopKeys(queues: [name], steps: steps))
    }

    /// Every queue at the lowest step first, then the next step (`PriorityQueueKeys.brpopKeys`'s order).
    private mutating func rebuildKeys() {
        keys.removeAll(keepingCapacity: true)
        for step in steps.indices {
            for queue in cycle { keys.append(queue.keys[step]) }
        }
    }
}
