import Foundation
import RedisClient
import WorkerCore

/// Everything that happens to a live worker off its main loop — a BRPOP reply, a finished task
/// body, a signal — arrives here; the loop takes it all in order, or waits until its next deadline.
final class WorkerInbox: @unchecked Sendable {
    enum Input {
        case fetched(RedisBroker.Delivery?)
        case fetchFailed(RedisError)
        case finished(slot: Int, execution: UInt64, result: TaskBodyResult, runtime: Double)
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

    func request(keys: [String]) {
        condition.lock()
        pendingKeys = keys
        condition.signal()
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
            pendingKeys = nil
            condition.unlock()
            var backoff = ReconnectBackoff()
            var reported = false
            while true {
                do {
                    if broker == nil { broker = try RedisBroker(url: url, options: options) }
                    inbox.post(.fetched(try broker?.fetch(keys: keys, now: now())))
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
