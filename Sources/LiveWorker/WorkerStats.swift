import CeleryWire
import Foundation
import RedisClient

/// The worker's stats, refreshed every 2 s (and within 250 ms of a recycle) in the Redis hash `lovage.stats.<hostname>` (it expires
/// 10 s after the last refresh, so a dead worker's entry goes away): counts, the pool, the prefetch
/// state, and memory — jemalloc's figures for the parent, and each child's last report.
extension LiveWorkerDriver {
    public static func statsKey(hostname: String) -> String { "lovage.stats." + hostname }

    func publishStats() {
        var fields: [(String, JSONValue)] = [
            ("hostname", .string(settings.core.hostname)),
            ("pid", .int(Int64(getpid()))),
            ("pool", .string(settings.pool.rawValue)),
            ("pool_size", .int(Int64(core.poolSize))),
            ("running", .int(Int64(core.runningCount))),
            ("reserved", .int(Int64(core.reservedWaitingCount))),
            ("held_for_eta", .int(Int64(core.heldCount))),
            ("unacknowledged", .int(Int64(core.unacknowledgedCount))),
            ("processed", .int(Int64(processed))),
            ("recycled", .int(Int64(core.childrenRecycled))),
            ("dead_lettered", .int(Int64(deadLettered))),
        ]
        if let parent = JemallocStats.sample() {
            fields.append(("jemalloc_allocated", .int(Int64(parent.allocatedBytes))))
            fields.append(("jemalloc_active", .int(Int64(parent.activeBytes))))
            fields.append(("jemalloc_resident", .int(Int64(parent.residentBytes))))
        }
        var children: [JSONValue] = []
        for slot in childMemory.keys.sorted() {
            guard let memory = childMemory[slot] else { continue }
            children.append(.object([
                "slot": .int(Int64(slot)), "rss_kib": .int(Int64(memory.residentKiB)),
                "last_task_allocated_bytes": .int(Int64(memory.taskAllocatedBytes)),
                "jemalloc_allocated": .int(Int64(memory.allocatedBytes)), "jemalloc_active": .int(Int64(memory.activeBytes)),
                "jemalloc_resident": .int(Int64(memory.residentBytes)),
            ]))
        }
        fields.append(("children", .array(children)))
        let key = Array(Self.statsKey(hostname: settings.core.hostname).utf8)
        var hset: [[UInt8]] = [Array("HSET".utf8), key]
        for (name, value) in fields {
            hset.append(Array(name.utf8))
            hset.append(value.stringValue.map { Array($0.utf8) } ?? value.serialized())
        }
        withBroker("publish stats") { broker throws(RedisError) in
            try broker.pipeline([hset, [Array("EXPIRE".utf8), key, Array("10".utf8)]], what: "publish stats")
        }
    }
}
