import CeleryWire
import FleetRecording
import Foundation
import Logging
import RedisClient

/// Samples the length of every list of every watched queue (one per priority step, as Kombu's
/// Redis transport keeps them) and of the `unacked` hash, in one pipelined round trip per tick.
///
/// These are read-only commands (LLEN, HLEN): they cannot take, reorder or lose a message. The
/// first sample is the backlog already waiting when the recording began, which both the keyspace
/// and the length methods of `PublishTimes` need; the later ones time the arrivals when no better
/// evidence exists. The interval is stretched, if needed, to keep within the command budget.
///
/// Shared by `lovage record` (its consumer writes the samples into the recording) and the
/// metrics of `lovage exporter` and `lovage worker --metrics-port` (`celery_queue_length`).
public final class QueueSampler: @unchecked Sendable {
    private let url: RedisURL
    private let consumer: any QueueLengthConsumer
    private let lists: [(key: String, queue: String, step: Int)]
    private let steps: [Int]
    public let intervalSeconds: Double
    private let logger: Logger
    private let lock = NSLock()
    private var stopping = false
    private var thread: Thread?
    private var commands = 0

    /// Kombu's hash of delivered, unacknowledged messages.
    static let unackedKey = "unacked"

    public init(url: RedisURL, consumer: any QueueLengthConsumer, lists: [(key: String, queue: String, step: Int)], steps: [Int],
                requestedIntervalSeconds: Double, maxCommandsPerSecond: Double, logger: Logger) {
        self.url = url
        self.consumer = consumer
        self.lists = lists
        self.steps = steps
        self.logger = logger
        let perTick = Double(lists.count + 1)
        intervalSeconds = max(requestedIntervalSeconds, perTick / maxCommandsPerSecond)
    }

    /// Commands per second at the chosen interval.
    public var commandsPerSecond: Double { Double(lists.count + 1) / intervalSeconds }

    /// Takes the first sample before returning (so the starting backlog is in the recording).
    public func start() throws(RecordingError) {
        let connection: RedisConnection
        do {
            connection = try RedisConnection(url: url, connectTimeout: 5, commandTimeout: 2)
            try sample(connection)
        } catch {
            throw RecordingError("cannot read the queue lengths on \(url.redacted): \(error.message)")
        }
        let handoff = ThreadHandoff(connection)
        let thread = Thread { [self] in loop(handoff.value) }
        thread.name = "lovage-record-lengths"
        self.thread = thread
        thread.start()
    }

    public func stop() {
        lock.withLock { stopping = true }
        while let thread, !thread.isFinished { Thread.sleep(forTimeInterval: 0.005) }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func sample(_ connection: RedisConnection) throws(RedisError) {
        var pipeline: [[[UInt8]]] = lists.map { [Array("LLEN".utf8), Array($0.key.utf8)] }
        pipeline.append([Array("HLEN".utf8), Array(Self.unackedKey.utf8)])
        let at = Date().timeIntervalSince1970
        let replies = try connection.pipeline(pipeline)
        commands += pipeline.count
        consumer.consumeCommandCount(commands, part: "lengths")
        var lengths: [QueueLength] = []
        for (index, list) in lists.enumerated() {
            lengths.append(QueueLength(queue: list.queue, step: list.step, length: Int(replies[index].integerValue ?? 0)))
        }
        let unacked = replies.last?.integerValue.map { Int($0) }
        consumer.consumeLengths(QueueLengthSample(at: at, lengths: lengths, unacked: unacked), steps: steps)
    }

    private func loop(_ first: RedisConnection) {
        var connection: RedisConnection? = first
        var next = Date().timeIntervalSince1970 + intervalSeconds
        var lostAt: Double?
        var lastError = ""
        while !isStopping {
            let wait = next - Date().timeIntervalSince1970
            if wait > 0 { Thread.sleep(forTimeInterval: min(wait, 0.05)); if next > Date().timeIntervalSince1970 { continue } }
            next += intervalSeconds
            // After a stall (a broker outage) sample from now, do not catch up.
            if next < Date().timeIntervalSince1970 { next = Date().timeIntervalSince1970 + intervalSeconds }
            do {
                if connection == nil { connection = try RedisConnection(url: url, connectTimeout: 1, commandTimeout: 2) }
                try sample(connection!)
                if let from = lostAt {
                    let now = Date().timeIntervalSince1970
                    consumer.consumeGap(RecordingGap(from: from, to: now, reason: "queue lengths not readable: \(lastError)"))
                    logger.info("record: lengths: the broker answers again after \(String(format: "%.1f", now - from)) s (marked as a gap)")
                    lostAt = nil
                }
            } catch {
                connection?.close()
                connection = nil
                if lostAt == nil {
                    lostAt = Date().timeIntervalSince1970
                    lastError = error.message
                    logger.error("record: lengths: the broker does not answer (\(error.message)); retrying every 0.5 s")
                }
                next = Date().timeIntervalSince1970 + 0.5
            }
        }
    }
}
