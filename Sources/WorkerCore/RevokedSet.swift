/// The worker's memory of revoked task ids: bounded like Celery's `LimitedSet`
/// (celery/worker/state.py: `REVOKES_MAX` 50,000 ids, oldest dropped first).
///
/// Insertion order is kept in an array ring so eviction is deterministic; the Set is used for
/// lookups only, never iterated.
public struct RevokedSet: Sendable {
    public let limit: Int
    private var members: Set<String> = []
    private var order: [String] = []
    private var oldest = 0

    public init(limit: Int) { self.limit = max(1, limit) }

    public var count: Int { members.count }

    public func contains(_ id: String) -> Bool { !members.isEmpty && members.contains(id) }

    /// The remembered ids, oldest first (Celery's `inspect revoked` lists its LimitedSet).
    public var ordered: [String] {
        guard order.count == limit, oldest > 0 else { return order }
        return Array(order[oldest...]) + Array(order[..<oldest])
    }

    public mutating func insert(_ id: String) {
        guard members.insert(id).inserted else { return }
        if order.count < limit {
            order.append(id)
        } else {
            members.remove(order[oldest])
            order[oldest] = id
            oldest = (oldest + 1) % limit
        }
    }
}
