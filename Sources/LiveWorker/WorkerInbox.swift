import Foundation
import RedisClient
import WorkerCore

/// Everything that happens to a live worker off its main loop — a BRPOP reply, a finished task
/// body, a signal — arrives here; the loop takes it all in order, or waits until its next deadline.
final class WorkerInbox: @unchecked Sendable {
    enum Input {
        /// What one fetch brought: nothing, one message (BRPOP) or several (a batch).
        case fetched([RedisBroker.Delivery])
        case fetchFailed(RedisError)
        case finished(slot: Int, execution: UInt64, result: TaskBodyResult, runtime: Double, childResidentKiB: Int? = nil,
                      memory: ChildMemory? = nil)
        /// A prefork child said it is ready to run tasks.
        case childReady(slot: Int, generation: Int)
        /// A prefork child process ended.
        case childExited(slot: Int, generation: Int, status: Int32, signalled: Bool)
        case stateUpdated(slot: Int, execution: UInt64, state: String, meta: String)
        case shutdown(ShutdownKind)
    }

    private let condition = NSCondition()
    private var inputs: [Input] = []

    func post(_ input: Input) {
        condition.lock()
        inputs.append(input)
        condition.signal()
        condition.unlock()
    }

    /// Removes and returns what fetches delivered, leaving every other input in place.
    func takeFetched() -> [RedisBroker.Delivery] {
        condition.lock()
        defer { condition.unlock() }
        var fetched: [RedisBroker.Delivery] = []
        inputs.removeAll { input in
            guard case .fetched(let deliveries) = input else { return false }
            fetched.append(contentsOf: deliveries)
            return true
        }
        return fetched
    }

    /// Everything posted so far, waiting until something comes or `deadline` passes.
    func take(until deadline: Date?) -> [Input] {
        condition.lock()
        defer { condition.unlock() }
        while inputs.isEmpty {
            if let deadline {
                if !condition.wait(until: deadline) { break }
            } else {
                condition.wait()
            }
        }
        let taken = inputs
        inputs.removeAll(keepingCapacity: true)
        return taken
    }
}

/// The consumer's BRPOP, on its own connection and thread, one fetch at a time as the core asks.
final class Fetcher: @unchecked Sendable {
    private let condition = NSCondition()
    private var pendingKeys: [String]? = nil
    private var pendingRoom = 1
    private var inFlight = false
    private var stopping = false
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
    /// whatever it took is in the inbox before the worker gives messages back.
    func stopAndWait(timeout: Double = 5) {
        condition.lock()
        stopping = true
        condition.broadcast()
        let deadline = Date().addingTimeInterval(timeout)
        while inFlight && condition.wait(until: deadline) {}
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
                    if broker == nil { broker = try RedisBroker(url: url, options: options) }
                    guard let broker else { continue }
                    // Take what is there in one round trip; block in BRPOP only when nothing is.
                    var deliveries = try broker.fetchBatch(keys: keys, limit: min(room, 256), now: now())
                    if deliveries.isEmpty, let one = try broker.fetch(keys: keys, now: now()) { deliveries = [one] }
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
