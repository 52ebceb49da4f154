import CeleryWire
import Foundation
import Logging
import RedisClient
import Reports

/// The real run's event subscriber: a dedicated connection, PSUBSCRIBEd to the task events every
/// worker of the fleet publishes with `-E` (`/<db>.celeryev/task.*`: Celery's buffered
/// `task.multi` batches and single events alike), counting executions with `ExecutionCounter`.
///
/// Pub/sub is fire-and-forget: what is published while the subscriber is not connected is lost.
/// A lost connection is reconnected and counted, and the figures then say they are incomplete
/// rather than report a wrong zero. Subscribed before the fleet starts, stopped after the results
/// are in, with a short quiet period for events still in flight.
final class TaskEventMonitor: @unchecked Sendable {
    private let url: RedisURL
    private let logger: Logger
    private let lock = NSLock()
    private var counter = ExecutionCounter()
    private var interruptions = 0
    private var undecodable = 0
    private var stopping = false
    private var lastMessageAt = Date()
    private var thread: Thread?
    private var subscribeFailure: String?

    init(url: RedisURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    /// The pattern for the broker's database: `/0.celeryev/task.*`.
    var pattern: String { EventEnvelope.channel(database: url.database, routingKey: "task.*") }

    /// Subscribes on its own thread (the connection never leaves it) and returns once the server
    /// confirmed the subscription, so no event published after this returns is missed.
    func start() throws {
        let subscribed = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            let connection: RedisConnection
            do {
                connection = try RedisConnection(url: url, connectTimeout: 3)
                try connection.subscribe(pattern)
            } catch {
                lock.withLock { subscribeFailure = "\(error)"; stopping = true }
                subscribed.signal()
                return
            }
            subscribed.signal()
            read(connection)
        }
        thread.name = "lovage-run-events"
        self.thread = thread
        thread.start()
        guard subscribed.wait(timeout: .now() + 10) == .success else {
            throw RealRunError("cannot subscribe to the task events (\(pattern)): no answer within 10 s")
        }
        if let failure = lock.withLock({ subscribeFailure }) {
            throw RealRunError("cannot subscribe to the task events (\(pattern)): \(failure)")
        }
    }

    /// Stops after `quietSeconds` without an event (at most `maxWaitSeconds`) and returns the figures.
    func stop(quietSeconds: Double = 0.5, maxWaitSeconds: Double = 5) -> (ExecutionCounter, RunSummary.TaskEventFigures) {
        let deadline = Date().addingTimeInterval(maxWaitSeconds)
        while Date() < deadline, lock.withLock({ Date().timeIntervalSince(lastMessageAt) < quietSeconds }) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        lock.withLock { stopping = true }
        while let thread, !thread.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        return lock.withLock {
            let complete = interruptions == 0 && undecodable == 0
            var notes: [String] = []
            if interruptions > 0 {
                notes.append("the event subscriber lost its connection \(interruptions) time(s); events published meanwhile were missed, so duplicates are at least \(counter.duplicates)")
            }
            if undecodable > 0 { notes.append("\(undecodable) event message(s) could not be decoded") }
            let note = complete ? "the subscriber stayed connected for the whole run" : notes.joined(separator: "; ")
            return (counter, RunSummary.TaskEventFigures(
                received: counter.received, started: counter.started, redelivered: counter.redelivered,
                duplicates: counter.duplicates, subscriberInterruptions: interruptions, complete: complete, note: note))
        }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func read(_ first: RedisConnection) {
        var connection: RedisConnection? = first
        while !isStopping {
            guard let current = connection else {
                // Reconnect and subscribe again; what was published in between is lost.
                Thread.sleep(forTimeInterval: 0.2)
                if let fresh = try? RedisConnection(url: url, connectTimeout: 1), (try? fresh.subscribe(pattern)) != nil {
                    connection = fresh
                }
                continue
            }
            do {
                guard let message = try current.nextPushedMessage(timeout: 0.1) else { continue }
                handle(message.payload)
            } catch {
                logger.info("events: subscriber connection lost (\(error.message)); reconnecting — events published meanwhile are missed")
                lock.withLock { interruptions += 1 }
                connection = nil
            }
        }
    }

    private func handle(_ payload: [UInt8]) {
        let events: [JSONObject]
        do {
            events = try EventEnvelope.decode(payload)
        } catch {
            lock.withLock { undecodable += 1; lastMessageAt = Date() }
            return
        }
        lock.withLock {
            lastMessageAt = Date()
            for event in events {
                guard let type = event["type"]?.stringValue, let uuid = event["uuid"]?.stringValue,
                      let hostname = event["hostname"]?.stringValue else { continue }
                let pid = Int(event["pid"]?.intValue ?? 0)
                let clock = Int(event["clock"]?.intValue ?? 0)
                switch type {
                case "task-received":
                    let eta = event["eta"]?.stringValue.flatMap { try? CeleryTimestamp.parse($0) }
                    counter.taskReceived(hostname: hostname, pid: pid, clock: clock, uuid: uuid,
                                         retries: Int(event["retries"]?.intValue ?? 0), etaMicros: eta)
                case "task-retried":
                    if let seconds = event["timestamp"]?.doubleValue {
                        counter.taskRetried(hostname: hostname, uuid: uuid, atMicros: Int64(seconds * 1_000_000))
                    }
                case "task-started":
                    counter.taskStarted(hostname: hostname, pid: pid, clock: clock, uuid: uuid,
                                        atMicros: event["timestamp"]?.doubleValue.map { Int64($0 * 1_000_000) })
                case "task-failed":
                    if let seconds = event["timestamp"]?.doubleValue {
                        counter.taskFailed(hostname: hostname, uuid: uuid, atMicros: Int64(seconds * 1_000_000))
                    }
                default:
                    break
                }
            }
        }
    }
}
