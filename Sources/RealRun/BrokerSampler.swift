import CeleryWire
import Foundation
import LiveWorker
import RedisClient

/// Once a second during a real run, what Redis holds: the depth of every broker list (each queue
/// and priority step), Kombu's `unacked` hash, and what Lovage workers report in their
/// `lovage.stats.<hostname>` hashes (running, held for eta, jemalloc resident bytes of the worker
/// and its children). Celery workers publish no such hash, so a Celery fleet's memory is 0.
final class BrokerSampler: @unchecked Sendable {
    struct Sample {
        var atMicros: Int64
        var lists: [Int]
        var unacked: Int
        var running: Int
        var held: Int
        var poolSize: Int
        var memoryBytes: Int64
        var workers: Int
        /// Each Lovage worker's cumulative recycles, by its stats key (a restarted worker starts at 0).
        var recycledByWorker: [String: Int] = [:]
        /// False when Redis did not answer (an outage): the depths are then the last known.
        var answered: Bool
    }

    let listKeys: [String]
    private let url: RedisURL
    private let lock = NSLock()
    private var samples: [Sample] = []
    private var stopping = false
    private var thread: Thread?

    init(url: RedisURL, listKeys: [String]) {
        self.url = url
        self.listKeys = listKeys
    }

    /// Samples every `intervalSeconds` from `start` until `stop()`; `workers` counts the live fleet.
    func start(from start: Date, intervalSeconds: Double, workers: @escaping @Sendable () -> Int) {
        let thread = Thread { [self] in
            var connection: RedisConnection?
            var tick = 0
            while !lock.withLock({ stopping }) {
                let at = LoadPublisher.offset(since: start)
                var sample = Sample(atMicros: at, lists: lastLists, unacked: 0, running: 0, held: 0, poolSize: 0,
                                    memoryBytes: 0, workers: workers(), answered: false)
                do {
                    if connection == nil { connection = try RedisConnection(url: url, connectTimeout: 0.5, commandTimeout: 0.5) }
                    try read(into: &sample, connection: connection!)
                    sample.answered = true
                } catch {
                    connection = nil
                }
                lock.withLock { samples.append(sample) }
                tick += 1
                let next = start.addingTimeInterval(Double(tick) * intervalSeconds)
                let wait = next.timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
        }
        thread.name = "lovage-run-sampler"
        self.thread = thread
        thread.start()
    }

    func stop() -> [Sample] {
        lock.withLock { stopping = true }
        while thread?.isFinished == false { Thread.sleep(forTimeInterval: 0.01) }
        return lock.withLock { samples }
    }

    private var lastLists: [Int] { lock.withLock { samples.last?.lists ?? Array(repeating: 0, count: listKeys.count) } }

    private func read(into sample: inout Sample, connection: RedisConnection) throws(RedisError) {
        var commands = listKeys.map { [Array("LLEN".utf8), Array($0.utf8)] }
        commands.append([Array("HLEN".utf8), Array(KombuKeys.unacked.utf8)])
        let replies = try connection.pipeline(commands)
        sample.lists = replies.prefix(listKeys.count).map { Int($0.integerValue ?? 0) }
        sample.unacked = Int(replies[listKeys.count].integerValue ?? 0)
        // Every worker's stats key: a full SCAN (the result keys make one SCAN step miss some).
        var keys: [[UInt8]] = []
        var cursor = "0"
        repeat {
            let page = try connection.command(["SCAN", cursor, "MATCH", "lovage.stats.*", "COUNT", "1000"])
            cursor = page.arrayValue?.first?.stringValue ?? "0"
            keys += (page.arrayValue?.last?.arrayValue ?? []).compactMap(\.bytes)
        } while cursor != "0"
        guard !keys.isEmpty else { return }
        let stats = try connection.pipeline(keys.map { [Array("HGETALL".utf8), $0] })
        for (key, reply) in zip(keys, stats) {
            let fields = reply.fieldValues ?? [:]
            func int(_ name: String) -> Int64 { fields[name].flatMap { Int64(String(decoding: $0, as: UTF8.self)) } ?? 0 }
            sample.running += Int(int("running"))
            sample.held += Int(int("held_for_eta"))
            sample.poolSize += Int(int("pool_size"))
            sample.recycledByWorker[String(decoding: key, as: UTF8.self)] = Int(int("recycled"))
            var memory = int("jemalloc_resident")
            if let children = fields["children"], case .array(let list)? = try? JSONValue.parse(children) {
                for child in list { memory += child["jemalloc_resident"]?.intValue ?? 0 }
            }
            sample.memoryBytes += memory
        }
    }
}
