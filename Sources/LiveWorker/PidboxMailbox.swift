import CeleryWire
import Foundation
import Logging
import RedisClient

/// The worker's seat in Celery's remote-control mailbox (kombu/pidbox.py `Node.listen` on Kombu's
/// Redis transport, as captured in Tests/Fixtures/celery-wire/pidbox, "Names on Redis" and
/// "Lifecycle facts"): a thread with its own subscribed connection PSUBSCRIBEs
/// `/<db>.celery.pidbox`, and a second connection (Kombu's pidbox channel) binds the node queue
/// `<hostname>.celery.pidbox` in `_kombu.binding.celery.pidbox` with its Kombu 5.7 deadline.
///
/// Celery never renews that deadline (it is a 1 h lease, and a Celery worker that lives longer loses
/// its binding to any client's sweep); Lovage renews it every `renewInterval`. Requests are decoded
/// here, filtered (not for this node: silently ignored, as kombu's `Node.handle_message`; expired:
/// ignored with a log line; malformed: a log line), and handed to the main loop through the bounded
/// `ControlQueue`. On a lost connection the thread logs, waits with backoff, and joins again.
final class PidboxMailbox: @unchecked Sendable {
    static let renewInterval = 600.0

    let url: RedisURL
    let hostname: String
    let queue: ControlQueue
    let wake: @Sendable () -> Void
    let logger: Logger
    private let lock = NSLock()
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    var channel: String { PidboxNames.requestChannel(database: url.database) }
    var nodeQueue: String { PidboxNames.nodeQueue(hostname: hostname) }
    var bindingSet: String { PidboxNames.bindingSet(exchange: PidboxNames.requestExchange()) }
    var bindingMember: String { PidboxNames.bindingMember(routingKey: "", queue: nodeQueue) }

    init(url: RedisURL, hostname: String, queue: ControlQueue, wake: @escaping @Sendable () -> Void,
         logger: Logger) {
        self.url = url
        self.hostname = hostname
        self.queue = queue
        self.wake = wake
        self.logger = logger
    }

    /// Binds and subscribes before returning (so a request published after start is seen), then
    /// listens on a thread. A first failure is retried on the thread.
    func start() {
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            listen(signalReady: { ready.signal() })
            finished.signal()
        }
        thread.name = "lovage-pidbox"
        self.thread = thread
        thread.start()
        _ = ready.wait(timeout: .now() + 5)
    }

    /// Stops listening, then PUNSUBSCRIBEs (by closing the subscriber after it), SREMs the binding
    /// and DELs the node queue and its priority siblings, as a Celery worker does at shutdown (35).
    func stop() {
        let wasRunning = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping && thread != nil
        }
        guard wasRunning else { return }
        _ = finished.wait(timeout: .now() + 3)
        if let connection = try? RedisConnection(url: url, connectTimeout: 2, commandTimeout: 2) {
            let keys = [nodeQueue] + ["3", "6", "9"].map { nodeQueue + PidboxNames.bindingSeparator + $0 }
            _ = try? connection.pipeline([
                [Array("SREM".utf8), Array(bindingSet.utf8), Array(bindingMember.utf8)],
                [Array("DEL".utf8)] + keys.map { Array($0.utf8) },
            ])
            connection.close()
        }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    /// `SADD` the binding and `ZADD GT` its deadline (Redis `TIME` in ms + one hour), as Kombu 5.7's
    /// binding script does.
    func bind(on connection: RedisConnection) throws(RedisError) {
        let time = try connection.command("TIME").arrayValue ?? []
        let seconds = Int64(time.first?.stringValue ?? "") ?? Int64(Date().timeIntervalSince1970)
        let micros = Int64(time.dropFirst().first?.stringValue ?? "") ?? 0
        let deadline = seconds * 1000 + micros / 1000 + PidboxNames.bindingLifetimeMillis
        _ = try connection.pipeline([
            [Array("SADD".utf8), Array(bindingSet.utf8), Array(bindingMember.utf8)],
            [Array("ZADD".utf8), Array(PidboxNames.bindingDeadlinesKey.utf8), Array("GT".utf8), Array(String(deadline).utf8),
             Array(PidboxNames.requestExchange().utf8)],
        ])
    }

    private func listen(signalReady: () -> Void) {
        var signalled = false
        var backoff = ReconnectBackoff()
        var outageStarted: Date?
        while !isStopping {
            do {
                let control = try RedisConnection(url: url, connectTimeout: 5, commandTimeout: 10)
                defer { control.close() }
                try bind(on: control)
                let subscriber = try RedisConnection(url: url, connectTimeout: 5)
                defer { subscriber.close() }
                try subscriber.subscribe(channel, pattern: true)
                if let started = outageStarted {
                    logger.info("remote control connection restored after \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
                    outageStarted = nil
                    backoff = ReconnectBackoff()
                }
                if !signalled { signalled = true; signalReady() }
                var renewAt = Date().addingTimeInterval(Self.renewInterval)
                var health = SubscriptionHealth(url: url)
                while !isStopping {
                    if Date() >= renewAt {
                        try bind(on: control)
                        renewAt = Date().addingTimeInterval(Self.renewInterval)
                    }
                    try health.check(subscriber, what: "remote control subscription")
                    guard let message = try subscriber.nextPushedMessage(timeout: 0.25) else { continue }
                    receive(message.payload)
                }
                _ = try? subscriber.send([[Array("PUNSUBSCRIBE".utf8), Array(channel.utf8)]])
            } catch {
                if !signalled { signalled = true; signalReady() }
                if isStopping { break }
                if outageStarted == nil {
                    outageStarted = Date()
                    logger.error("remote control connection lost: \(error); reconnecting")
                }
                Thread.sleep(forTimeInterval: backoff.next())
            }
        }
    }

    /// One PUBLISH payload: decoded and filtered, then queued for the loop.
    func receive(_ payload: [UInt8]) {
        let request: PidboxRequest
        do {
            request = try PidboxRequest.decode(payload)
        } catch {
            logger.error("remote control: ignored a malformed request: \(error)")
            return
        }
        guard request.isAddressed(to: hostname) else { return }
        if request.isExpired(nowSeconds: Date().timeIntervalSince1970) {
            logger.info("remote control: ignored an expired \(request.method) request (its client stopped waiting)")
            return
        }
        let (wakeLoop, warning) = queue.offer(request)
        if let warning { logger.warning("\(warning)") }
        if wakeLoop { wake() }
    }
}
