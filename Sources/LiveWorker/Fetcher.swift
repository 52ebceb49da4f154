import Foundation
import RedisClient
import WorkerCore

/// The consumer's BRPOP, on its own connection and thread, one fetch at a time as the core asks.
final class Fetcher: @unchecked Sendable {
    private let condition = NSCondition()
    private var pendingKeys: [String]? = nil
    private var pendingRoom = 1
    private var inFlight = false
    private var stopping = false
    /// The fetch connection's `CLIENT ID`, for `CLIENT UNBLOCK` (nil before it connects, or when the
    /// server does not say).
    private var clientID: Int64?
    private let inbox: WorkerInbox
    private let url: RedisURL
    private let options: BrokerTransportOptions
    private let now: @Sendable () -> Instant

    init(url: RedisURL, options: BrokerTransportOptions, inbox: WorkerInbox, now: @escaping @Sendable () -> Instant) {
        self.url = url
        self.options = options
        self.inbox = inbox
        self.now = now
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "lovage-brpop"
        thread.start()
    }

    /// Fetch up to `room` messages (at least one) over `keys`.
    func request(keys: [String], room: Int) {
        condition.lock()
        pendingKeys = keys
        pendingRoom = max(1, room)
        condition.signal()
        condition.unlock()
    }

    /// Stops fetching and waits (at most `timeout` seconds) for a fetch in flight to end, so that
    /// whatever it took is in the inbox before the worker gives messages back. A BRPOP blocked on
    /// empty lists is ended with `unblock(clientID)` (the caller sends `CLIENT UNBLOCK` on another
    /// connection): otherwise a warm shutdown froze the worker until the next message arrived or
    /// the BRPOP timed out, and several stopping workers passed that message from one to the next,
    /// each giving it back marked redelivered. Sent again every 20 ms, for a fetch that was between
    /// its commands when the first came.
    func stopAndWait(timeout: Double = 5, unblock: (Int64) -> Void) {
        condition.lock()
        stopping = true
        condition.broadcast()
        let deadline = Date().addingTimeInterval(timeout)
        while inFlight, Date() < deadline {
            if let clientID {
                condition.unlock()
                unblock(clientID)
                condition.lock()
            }
            _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.02)))
        }
        condition.unlock()
    }

    private var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        var broker: RedisBroker? = nil
        while true {
            condition.lock()
            while pendingKeys == nil && !stopping { condition.wait() }
            if stopping { condition.unlock(); return }
            let keys = pendingKeys ?? []
            let room = pendingRoom
            pendingKeys = nil
            inFlight = true
            condition.unlock()
            defer {
                condition.lock()
                inFlight = false
                condition.broadcast()
                condition.unlock()
            }
            var backoff = ReconnectBackoff()
            var reported = false
            while true {
                do {
                    if broker == nil {
                        let fresh = try RedisBroker(url: url, options: options)
                        let id = try? fresh.connection.command("CLIENT", "ID").integerValue
                        condition.lock()
                        clientID = id
                        condition.unlock()
                        broker = fresh
                    }
                    guard let broker else { continue }
                    // Take what is there in one round trip; block in BRPOP only when nothing is.
                    var deliveries = try broker.fetchBatch(keys: keys, limit: min(room, LiveWorkerDriver.fetchBatchLimit), now: now())
                    if deliveries.isEmpty, !isStopping, let one = try broker.fetch(keys: keys, now: now()) { deliveries = [one] }
                    inbox.post(.fetched(deliveries))
                    break
                } catch {
                    broker = nil
                    if !reported { inbox.post(.fetchFailed(error)); reported = true }
                    if isStopping { return }
                    Thread.sleep(forTimeInterval: backoff.next())
                }
            }
        }
    }
}
