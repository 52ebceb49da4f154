import CeleryWire
import FleetRecording

/// The fleet as its nodes described themselves (`stats`, `active_queues`, `conf`): one group
/// per set of nodes with the same queues and settings.
public struct FleetModel: Sendable {
    public struct Group: Sendable, Equatable {
        public var nodes: [String]
        public var queues: [String]
        /// `-c`, or the autoscaler's maximum.
        public var concurrency: Int
        public var autoscale: (max: Int, min: Int)?
        public var prefetchMultiplier: Int
        public var acksLate: Bool
        public var timeLimit: Double?
        public var softTimeLimit: Double?
        public var maxTasksPerChild: Int?
        public var pool: String
        /// Where each value came from, for the scenario's comments.
        public var sources: [String]

        public static func == (a: Group, b: Group) -> Bool {
            a.queues == b.queues && a.concurrency == b.concurrency && a.autoscale?.max == b.autoscale?.max
                && a.autoscale?.min == b.autoscale?.min && a.prefetchMultiplier == b.prefetchMultiplier
                && a.acksLate == b.acksLate && a.timeLimit == b.timeLimit && a.softTimeLimit == b.softTimeLimit
                && a.maxTasksPerChild == b.maxTasksPerChild && a.pool == b.pool
        }
    }

    public var groups: [Group]
    /// Nodes that sent events but never answered the fleet queries.
    public var silentNodes: [String]

    /// Groups from each node's latest snapshot; nodes seen only in events are listed as silent.
    public init(snapshots: [FleetSnapshot], eventNodes: [String], watchedQueues: [String]) {
        var latest: [String: FleetSnapshot] = [:]
        for snapshot in snapshots where snapshot.stats != nil { latest[snapshot.node] = snapshot }
        var groups: [Group] = []
        for node in latest.keys.sorted() {
            let group = Self.group(of: latest[node]!, watchedQueues: watchedQueues)
            if let index = groups.firstIndex(of: group) { groups[index].nodes.append(node) } else { groups.append(group) }
        }
        self.groups = groups
        silentNodes = eventNodes.filter { latest[$0] == nil && $0.contains("@") }.sorted()
    }

    static func group(of snapshot: FleetSnapshot, watchedQueues: [String]) -> Group {
        let stats = snapshot.stats ?? [:]
        let conf = snapshot.conf ?? [:]
        let pool = stats["pool"]?.objectValue ?? [:]
        var sources: [String] = []
        let maxConcurrency = pool["max-concurrency"]?.intValue.map(Int.init)
        var autoscale: (max: Int, min: Int)?
        if let scaler = stats["autoscaler"]?.objectValue, let high = scaler["max"]?.intValue, let low = scaler["min"]?.intValue {
            autoscale = (Int(high), Int(low))
            sources.append("autoscale from stats.autoscaler")
        }
        let concurrency = autoscale?.max ?? maxConcurrency ?? conf["worker_concurrency"]?.intValue.map(Int.init) ?? 1
        sources.append(maxConcurrency != nil ? "concurrency from stats.pool.max-concurrency" : "concurrency not reported (1 assumed)")
        var multiplier = conf["worker_prefetch_multiplier"]?.intValue.map(Int.init)
        if multiplier == nil, let count = stats["prefetch_count"]?.intValue, concurrency > 0 {
            multiplier = max(1, Int(count) / concurrency)
            sources.append("prefetch_multiplier from stats.prefetch_count / concurrency")
        }
        let acksLate = conf["task_acks_late"]?.boolValue ?? false
        sources.append(conf["task_acks_late"] != nil ? "acks_late from conf.task_acks_late" : "acks_late: Celery's default (off)")
        var timeLimit = conf["task_time_limit"]?.doubleValue
        var softLimit = conf["task_soft_time_limit"]?.doubleValue
        if let timeouts = pool["timeouts"]?.arrayValue, timeouts.count == 2 {
            if let soft = timeouts[0].doubleValue, soft > 0 { softLimit = softLimit ?? soft }
            if let hard = timeouts[1].doubleValue, hard > 0 { timeLimit = timeLimit ?? hard }
        }
        var maxTasks = conf["worker_max_tasks_per_child"]?.intValue.map(Int.init)
        if maxTasks == nil, let value = pool["max-tasks-per-child"]?.intValue { maxTasks = Int(value) }
        let implementation = pool["implementation"]?.stringValue ?? "celery.concurrency.prefork:TaskPool"
        let poolName = implementation.contains("prefork") ? "prefork"
            : implementation.contains("thread") ? "threads" : implementation.contains("solo") ? "solo" : implementation
        let queues = snapshot.activeQueues.isEmpty ? watchedQueues : snapshot.activeQueues.sorted()
        return Group(nodes: [snapshot.node], queues: queues, concurrency: max(1, concurrency), autoscale: autoscale,
                     prefetchMultiplier: multiplier ?? 4, acksLate: acksLate, timeLimit: timeLimit, softTimeLimit: softLimit,
                     maxTasksPerChild: maxTasks.flatMap { $0 > 0 ? $0 : nil }, pool: poolName, sources: sources)
    }

    /// Each surveyed node's slots (the autoscaler's maximum where it scales).
    public var concurrencyByNode: [String: Int] {
        var out: [String: Int] = [:]
        for group in groups { for node in group.nodes { out[node] = group.autoscale?.max ?? group.concurrency } }
        return out
    }

    /// The queue of each attempt: a `reserved` reply naming it, else the only queue its node
    /// consumes, else the first watched queue.
    public func assignQueues(_ attempts: inout [RecordedAttempt], snapshots: [FleetSnapshot], watchedQueues: [String]) {
        var reservedQueue: [String: String] = [:]
        for snapshot in snapshots { for task in snapshot.reserved { if let queue = task.queue { reservedQueue[task.id] = queue } } }
        var nodeQueues: [String: [String]] = [:]
        for group in groups { for node in group.nodes { nodeQueues[node] = group.queues } }
        var queueByName: [String: String] = [:]
        for index in attempts.indices where attempts[index].queue == nil {
            if let queue = reservedQueue[attempts[index].id] { attempts[index].queue = queue; queueByName[attempts[index].name] = queue }
        }
        for index in attempts.indices where attempts[index].queue == nil {
            if let queue = queueByName[attempts[index].name] { attempts[index].queue = queue; continue }
            if let queues = nodeQueues[attempts[index].node], queues.count == 1 { attempts[index].queue = queues[0]; continue }
            attempts[index].queue = watchedQueues.first ?? "celery"
        }
    }
}
