import CeleryWire
import Foundation
import DequeModule
import WorkerCore

/// Kombu's Redis transport, simulated (docs/ARCHITECTURE.md rule 3; captures in Tests/Fixtures/celery-wire).
///
/// One list per queue and priority step; producers LPUSH and consumers BRPOP from the right, over
/// their keys in order, so the first key with data wins. Blocked consumers are served first-come,
/// as Redis serves clients blocked on a key. A delivery lands in the `unacked` hash and the
/// `unacked_index` sorted set scored by delivery time; ack removes both. The restore sweep moves
/// entries older than `visibility_timeout` back with RPUSH (marked redelivered), newest first as
/// `ZRANGE ... BYSCORE REV` returns them; a reject with requeue puts the message back with LPUSH.
struct SimBroker {
    struct UnackedEntry {
        var request: TaskRequest
        var deliveredAt: Instant
        /// The worker that BRPOPed it (the simulator's bookkeeping; Redis does not know it).
        var holder: Int
    }

    private struct IndexEntry {
        var score: Instant
        var delivery: Int
    }

    private struct Waiter {
        var consumer: Int
        var listIDs: [Int]
    }

    let prioritySteps: [Int]
    let visibilityTimeout: TimeSpan
    /// Lists by id; `listIDs` interns each Redis key once so the hot path indexes an array.
    private var lists: [Deque<TaskRequest>] = []
    private var listKeys: [String] = []
    private var listIDs: [String: Int] = [:]
    /// The lists pushes went to, by (queue, priority step): the hot path compares a short queue
    /// name and an integer instead of building the Redis key string and hashing it.
    private var pushTargets: [(queue: String, step: Int, id: Int)] = []
    /// A consumer's last key order and its list ids (empty keys: none asked for yet).
    private struct ConsumerKeys {
        var keys: [String] = []
        var ids: [Int] = []
    }

    /// Per consumer token, its `ConsumerKeys`: one array (one allocation as it grows), its fields
    /// read in place, where an optional tuple was copied out (two retains and releases) on every
    /// fetch to compare the keys.
    private var consumerKeys: [ConsumerKeys] = []
    private var waiters: [Waiter] = []
    /// The `unacked` hash, keyed by the simulator's delivery number (`TaskRequest.deliveryNumber`,
    /// one per delivery tag) so the hot path never hashes a tag string.
    private var unacked = NumberedTable<UnackedEntry>()
    /// `unacked_index` in delivery order. Deliveries happen at a non-decreasing virtual time, so
    /// insertion order is score order; acked entries are dropped lazily and the deque is compacted
    /// when more than half of it is stale, so memory follows the messages in flight.
    private var unackedIndex: Deque<IndexEntry> = []
    /// Messages in all lists.
    private(set) var queuedCount = 0
    private(set) var peakQueuedCount = 0

    init(prioritySteps: [Int], visibilityTimeout: TimeSpan) {
        self.prioritySteps = prioritySteps
        self.visibilityTimeout = visibilityTimeout
    }

    /// The list a message with this priority goes to (Kombu's `_q_for_pri`).
    func listKey(for request: TaskRequest) -> String {
        PriorityQueueKeys.listKey(queue: request.queue, priority: request.priority, steps: prioritySteps)
    }

    /// LPUSH (or RPUSH when `atConsumingEnd`). If a consumer is blocked on that key, it gets the
    /// message at once and the delivery is returned.
    mutating func push(_ request: TaskRequest, atConsumingEnd: Bool = false, now: Instant) -> (consumer: Int, request: TaskRequest)? {
        let id = pushTarget(for: request)
        if let waiterIndex = waiters.firstIndex(where: { $0.listIDs.contains(id) }) {
            let consumer = waiters.remove(at: waiterIndex).consumer
            record(delivery: request, consumer: consumer, now: now)
            return (consumer, request)
        }
        if atConsumingEnd {
            lists[id].append(request)
        } else {
            lists[id].prepend(request)
        }
        queuedCount += 1
        peakQueuedCount = max(peakQueuedCount, queuedCount)
        return nil
    }

    /// BRPOP over `keys` in order: the first non-empty list gives its oldest message; with none, the
    /// consumer blocks until a push.
    mutating func fetch(consumer: Int, keys: [String], now: Instant) -> TaskRequest? {
        let ids = ids(forConsumer: consumer, keys: keys)
        if let (request, _) = popFirstAvailable(ids) {
            record(delivery: request, consumer: consumer, now: now)
            return request
        }
        waiters.append(Waiter(consumer: consumer, listIDs: ids))
        return nil
    }

    /// Registers a blocked consumer without looking at the lists (the broker cannot answer now).
    mutating func block(consumer: Int, keys: [String]) {
        waiters.append(Waiter(consumer: consumer, listIDs: ids(forConsumer: consumer, keys: keys)))
    }

    /// The list id for a request's queue and priority (its `listKey`), remembered per (queue, step).
    private mutating func pushTarget(for request: TaskRequest) -> Int {
        let step = PriorityQueueKeys.step(forPriority: request.priority, steps: prioritySteps)
        let queue = request.queue
        for target in pushTargets where target.step == step && target.queue == queue { return target.id }
        let id = listID(PriorityQueueKeys.listKey(queue: queue, priority: request.priority, steps: prioritySteps))
        pushTargets.append((queue, step, id))
        return id
    }

    private mutating func listID(_ key: String) -> Int {
        if let id = listIDs[key] { return id }
        let id = lists.count
        lists.append([])
        listKeys.append(key)
        listIDs[key] = id
        return id
    }

    /// The list ids for a consumer's key order, cached until the order changes (round robin).
    ///
    /// Round robin changes the order at every message: within each priority step the queue just
    /// served moves to the back, so a key is where it was or one place further on in the previous
    /// order. Those two places are tried first (equal strings from the same ConsumeOrder share
    /// their bits, so a match is one comparison); only the rest are hashed. Hashing all 36 keys
    /// of dify-default's 9 queues × 4 steps at every fetch was 10% of its instructions.
    private mutating func ids(forConsumer consumer: Int, keys: [String]) -> [Int] {
        while consumerKeys.count <= consumer { consumerKeys.append(ConsumerKeys()) }
        let previous = consumerKeys[consumer]
        if !keys.isEmpty, previous.keys == keys { return previous.ids }
        var ids: [Int] = []
        ids.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() {
            if index < previous.keys.count, previous.keys[index] == key {
                ids.append(previous.ids[index])
            } else if index + 1 < previous.keys.count, previous.keys[index + 1] == key {
                ids.append(previous.ids[index + 1])
            } else {
                ids.append(listID(key))
            }
        }
        consumerKeys[consumer] = ConsumerKeys(keys: keys, ids: ids)
        return ids
    }

    /// A consumer stops blocking (its worker stopped or died).
    mutating func cancelFetch(consumer: Int) {
        waiters.removeAll { $0.consumer == consumer }
    }

    /// Hands out messages to consumers that blocked while the broker could not serve them.
    mutating func serveWaiters(now: Instant) -> [(consumer: Int, request: TaskRequest)] {
        var deliveries: [(Int, TaskRequest)] = []
        var index = 0
        while index < waiters.count {
            let waiter = waiters[index]
            if let request = popFirstAvailable(waiter.listIDs) {
                waiters.remove(at: index)
                record(delivery: request.0, consumer: waiter.consumer, now: now)
                deliveries.append((waiter.consumer, request.0))
            } else {
                index += 1
            }
        }
        return deliveries
    }

    private mutating func popFirstAvailable(_ ids: [Int]) -> (TaskRequest, Int)? {
        for id in ids {
            guard let request = lists[id].popLast() else { continue }
            queuedCount -= 1
            return (request, id)
        }
        return nil
    }

    /// `MULTI; ZADD unacked_index <now> <tag>; HSET unacked <tag> [message, "", queue]; EXEC`.
    /// (The hash value is `[message, exchange, routing_key]`; a restore finds the list again from the
    /// message's queue and priority, as Kombu's `_do_restore_message` does.)
    private mutating func record(delivery request: TaskRequest, consumer: Int, now: Instant) {
        unacked.set(UnackedEntry(request: request, deliveredAt: now, holder: consumer), for: request.deliveryNumber)
        unackedIndex.append(IndexEntry(score: now, delivery: request.deliveryNumber))
        if unackedIndex.count > 1024 && unackedIndex.count > 2 * unacked.count { compactIndex() }
    }

    private mutating func compactIndex() {
        let live = unacked
        unackedIndex = Deque(unackedIndex.filter { entry in live[entry.delivery]?.deliveredAt == entry.score })
    }

    /// `MULTI; ZREM unacked_index <tag>; HDEL unacked <tag>; EXEC`. Returns whether an entry existed
    /// (after a restore it may not: the same tag can then belong to another worker's delivery).
    /// Returns the removed entry.
    @discardableResult
    mutating func ack(deliveryNumber: Int) -> UnackedEntry? {
        unacked.removeValue(for: deliveryNumber)
    }

    /// The `unacked` entry of a delivery, if it is still there (HGET).
    func unackedEntry(deliveryNumber: Int) -> UnackedEntry? { unacked[deliveryNumber] }

    /// Reject: remove; with requeue, LPUSH the message back marked redelivered (Kombu
    /// `QoS.reject` → `restore_by_tag(leftmost=True)`).
    mutating func reject(deliveryNumber: Int, requeue: Bool, now: Instant) -> (entry: UnackedEntry?, delivery: (consumer: Int, request: TaskRequest)?) {
        guard let entry = unacked.removeValue(for: deliveryNumber) else { return (nil, nil) }
        guard requeue else { return (entry, nil) }
        return (entry, push(entry.request.markedRedelivered(), atConsumingEnd: false, now: now))
    }

    /// Kombu's `restore_by_tag`: if the tag is still in `unacked`, remove it and RPUSH the message
    /// (redelivered). Returns the entry restored, if any, and a delivery if a consumer was waiting.
    mutating func restore(deliveryNumber: Int, now: Instant) -> (entry: UnackedEntry?, delivery: (consumer: Int, request: TaskRequest)?) {
        guard let entry = unacked.removeValue(for: deliveryNumber) else { return (nil, nil) }
        return (entry, push(entry.request.markedRedelivered(), atConsumingEnd: true, now: now))
    }

    /// The restore sweep (`QoS.restore_visible`): every entry delivered at or before
    /// now − visibility_timeout, newest first. The mutex (`SET unacked_mutex NX PX 300000`) never
    /// contends here because a simulated sweep is instantaneous.
    mutating func expiredDeliveries(now: Instant) -> [Int] {
        let ceiling = now - visibilityTimeout
        var expired: [IndexEntry] = []
        while let top = unackedIndex.first, top.score <= ceiling {
            let entry = unackedIndex.removeFirst()
            // Skip index entries whose tag was acked or re-delivered later (a newer score exists).
            if let live = unacked[entry.delivery], live.deliveredAt == entry.score { expired.append(entry) }
        }
        return expired.reversed().map(\.delivery)
    }

    /// Messages in each list, in the order the lists were first used (stable for a seed).
    /// A closure, not `\.count`: a key path is read through the runtime (about 700 instructions a
    /// list, every timeline sample).
    func listDepths() -> [Int] { lists.map { $0.count } }

    /// LLEN of one list (0 for a list never used), as a KEDA list scaler reads it.
    func depth(ofList key: String) -> Int { listIDs[key].map { lists[$0].count } ?? 0 }

    /// The next message each of these lists would hand out (its oldest), skipping empty lists.
    func nextOut(ofLists keys: [String]) -> [TaskRequest] { keys.compactMap { key in listIDs[key].flatMap { lists[$0].last } } }

    /// Display names of the lists, in the same order: `queue` or `queue:p<step>`.
    func listDisplayNames() -> [String] {
        listKeys.map { $0.replacingOccurrences(of: PriorityQueueKeys.separator, with: ":p") }
    }

    /// Entries in the `unacked` hash.
    var unackedCount: Int { unacked.count }

    /// Every list's messages, in key order then from the consuming end (for the leftover report).
    func queuedMessages() -> [TaskRequest] {
        var result: [TaskRequest] = []
        for id in lists.indices.sorted(by: { listKeys[$0] < listKeys[$1] }) where !lists[id].isEmpty {
            result.append(contentsOf: lists[id].reversed())
        }
        return result
    }

    /// Unacked entries ordered by delivery time then tag (deterministic, for reports).
    func unackedEntries() -> [UnackedEntry] {
        unacked.allValues.sorted {
            $0.deliveredAt != $1.deliveredAt ? $0.deliveredAt < $1.deliveredAt
                : $0.request.deliveryTag < $1.request.deliveryTag
        }
    }
}
