import CeleryWire
import FleetRecording
import Foundation
import Logging
import RedisClient

/// The recorder's subscriber: every event the fleet publishes (`PSUBSCRIBE /<db>.celeryev/*`:
/// task and worker events, Celery's `task.multi` batches included) and, with keyspace events on,
/// the LPUSH/RPUSH notifications of the queue lists (`__keyspace@<db>__:<list>`).
///
/// Pub/sub is lossy by design: what is published while the subscriber is disconnected is gone.
/// So a lost connection is reconnected every 0.5 s and the time without it is written as a `gap`,
/// which calibration leaves out of its figures instead of reading it as an idle fleet.
///
/// Shared by `lovage record` (its consumer writes the recording) and `lovage exporter` (its
/// consumer counts the events into Prometheus metrics).
public final class EventTap: @unchecked Sendable {
    private let url: RedisURL
    private let consumer: any FleetEventConsumer
    private let logger: Logger
    /// Keyspace channel → (queue, priority step).
    private let keyspaceChannels: [(channel: String, queue: String, step: Int)]
    private let lock = NSLock()
    private var stopping = false
    private var thread: Thread?
    private var commands = 0
    private var undecodable = 0
    /// Nodes seen coming online, for the survey to enable events on (taken by `newNodes()`).
    private var arrivals: [String] = []

    public init(url: RedisURL, consumer: any FleetEventConsumer, keyspaceLists: [(key: String, queue: String, step: Int)] = [],
                logger: Logger) {
        self.url = url
        self.consumer = consumer
        self.logger = logger
        keyspaceChannels = keyspaceLists.map { ("__keyspace@\(url.database)__:" + $0.key, $0.queue, $0.step) }
    }

    var eventPattern: String { EventEnvelope.channel(database: url.database, routingKey: "*") }

    /// Subscribes and returns once the server confirmed, so nothing published afterwards is missed.
    public func start() throws(RecordingError) {
        let connection: RedisConnection
        do {
            connection = try subscribedConnection(connectTimeout: 5)
        } catch {
            throw RecordingError("cannot subscribe to the fleet's events (\(eventPattern)) on \(url.redacted): \(error.message)")
        }
        let handoff = ThreadHandoff(connection)
        let thread = Thread { [self] in read(handoff.value) }
        thread.name = "lovage-record-events"
        self.thread = thread
        thread.start()
    }

    public func stop() {
        lock.withLock { stopping = true }
        while let thread, !thread.isFinished { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// Hostnames of `worker-online` events since the last call.
    public func newNodes() -> [String] { lock.withLock { defer { arrivals = [] }; return arrivals } }

    public var undecodableMessages: Int { lock.withLock { undecodable } }

    private func subscribedConnection(connectTimeout: Double) throws(RedisError) -> RedisConnection {
        let connection = try RedisConnection(url: url, connectTimeout: connectTimeout)
        // The keyspace channels first: each SUBSCRIBE waits for its confirmation, and once events
        // flow a confirmation could arrive behind them.
        for entry in keyspaceChannels { try connection.subscribe(entry.channel, pattern: false) }
        try connection.subscribe(eventPattern)
        lock.withLock { commands += keyspaceChannels.count + 1 }
        consumer.consumeCommandCount(lock.withLock { commands }, part: "events")
        return connection
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func read(_ first: RedisConnection) {
        var connection: RedisConnection? = first
        var lostAt: Double?
        var lastError = ""
        var channelIndex: [String: Int] = [:]
        for (index, entry) in keyspaceChannels.enumerated() { channelIndex[entry.channel] = index }
        while !isStopping {
            guard let current = connection else {
                Thread.sleep(forTimeInterval: 0.5)
                if let fresh = try? subscribedConnection(connectTimeout: 1) {
                    connection = fresh
                    let now = Date().timeIntervalSince1970
                    if let from = lostAt {
                        consumer.consumeGap(RecordingGap(from: from, to: now, reason: "event subscriber disconnected: \(lastError)"))
                        logger.info("record: events: reconnected after \(String(format: "%.1f", now - from)) s (marked as a gap in the recording)")
                    }
                    lostAt = nil
                }
                continue
            }
            do {
                guard let message = try current.nextPushedMessage(timeout: 0.1) else { continue }
                let now = Date().timeIntervalSince1970
                if message.pattern == nil, let index = channelIndex[message.channel] {
                    let op = String(decoding: message.payload, as: UTF8.self)
                    if op == "lpush" || op == "rpush" || op == "linsert" {
                        let entry = keyspaceChannels[index]
                        consumer.consumePush(QueuePush(at: now, queue: entry.queue, step: entry.step, op: op))
                    }
                    continue
                }
                handleEvents(message.payload, receivedAt: now)
            } catch {
                lastError = error.message
                lostAt = Date().timeIntervalSince1970
                logger.error("record: events: subscriber connection lost (\(error.message)); reconnecting — events meanwhile are missed and marked as a gap")
                connection = nil
            }
        }
    }

    private func handleEvents(_ payload: [UInt8], receivedAt: Double) {
        guard let events = try? EventEnvelope.decode(payload) else {
            lock.withLock { undecodable += 1 }
            return
        }
        for event in events {
            if event["type"]?.stringValue == "worker-online", let host = event["hostname"]?.stringValue {
                lock.withLock { arrivals.append(host) }
            }
            consumer.consumeEvent(event, receivedAt: receivedAt)
        }
    }
}
