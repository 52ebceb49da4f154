import CeleryWire
import DequeModule
import Foundation
import Logging
import RedisClient
import WorkerCore

/// The live driver: the same `WorkerCore` as the simulator, driven by the real clock against a
/// real Redis server, running task bodies on threads (Celery's `-P threads`).
///
/// The main loop owns the core and two connections (acks, publishes, sweeps, dead letters; and the
/// result backend); a fetcher thread owns the BRPOP connection; each task body runs on its own
/// thread. Everything comes back through the inbox, so the core is only ever touched by the loop.
///
/// Thread safety: call `run()` on one thread; `requestShutdown` may be called from any thread (it
/// only posts to the inbox). That is the whole of the unchecked Sendable conformance.
public final class LiveWorkerDriver: @unchecked Sendable {
    let settings: LiveWorkerSettings
    let registry: TaskRegistry
    var core: WorkerCore
    let inbox = WorkerInbox()
    let fetcher: Fetcher
    var broker: RedisBroker
    var backend: RedisResultBackend
    /// Delivered messages by delivery tag, while the worker holds them.
    var messages: [String: TaskMessage] = [:]
    /// Soft-limit flags of running executions, by execution number.
    var softLimitFlags: [UInt64: SoftLimitFlag] = [:]
    /// Messages fetched in a batch and not yet handed to the core (each within its prefetch room),
    /// taken from the front by moving them out (a decoded message is some thirty counted references:
    /// copying one out of an array and destroying the copy left behind cost a few percent a task).
    var pendingDeliveries: Deque<RedisBroker.Delivery> = []
    /// Inputs for the core that carrying out its directives produced, fed once those are done.
    var followUps = FollowUpInputs()
    /// Acks and results gathered while applying directives, written in one round trip each.
    var brokerWrites: [[[UInt8]]] = []
    /// Results the core decided to store, encoded when the writes go out.
    struct PendingResult { var taskID: String; var record: ResultRecord; var nowMicros: Int64; var children: [JSONValue] = [] }
    /// What each task applied before its result is stored (callbacks, the chain's next step), by
    /// task id: the stored document's `children` (see LiveWorkerDriver+Canvas).
    var pendingChildren: [String: [JSONValue]] = [:]
    /// The reply queue id of the messages this worker publishes when a signature has none
    /// (Celery's `app.thread_oid`), and their `origin` (`anon_nodename()`: "gen<pid>@<host>").
    let replyOID = UUID().uuidString.lowercased()
    let canvasOrigin = "gen\(getpid())@\(ProcessInfo.processInfo.hostName)"
    /// This process's id, for the result documents' `worker_pid` (read once, not per result).
    let processID = getpid()
    var pendingResults: [PendingResult] = []
    /// Writes (and fetches) sent on the broker connection whose replies are not all read yet.
    var writesInFlight = WritesInFlight()
    /// A fetch the core asked for: sent behind the loop iteration's writes, on the same connection.
    struct PendingFetch { var keys: [String]; var room: Int }
    var fetchToSend: PendingFetch?
    /// The most messages one batch fetch takes (when prefetch is unlimited, or very large).
    static let fetchBatchLimit = 256
    /// Whether results and acks can share one connection (and one pipeline).
    var resultsShareBrokerServer: Bool { settings.resultBackendURL == settings.brokerURL }
    let slotThreads = SlotThreads()
    /// The prefork pool's children, when `-P prefork`.
    var prefork: PreforkPool?
    let mutexToken = UUID().uuidString
    /// Where the worker's log records go ("lovage.worker" unless the embedder passes its own).
    let logger: Logger
    /// Set when a shutdown came while the broker was not reachable: from then on every broker write
    /// is tried once and dropped on failure, so the stop ends (what is unacknowledged stays in
    /// `unacked` for a restore sweep).
    var brokerAbandoned = false
    public internal(set) var deadLettered = 0
    /// Task bodies finished, and each slot's latest memory report (prefork), for the worker's stats.
    public internal(set) var processed = 0
    var childMemory: [Int: ChildMemory] = [:]
    var nextStatsAt = Date()
    /// The recycle count the stats hash last showed: a recycle refreshes the hash at once (at most
    /// every 250 ms), so a short run's reader does not miss the recycles of its last 2 s.
    var recycledInStats = 0
    var statsPublishedAt = Date.distantPast
    /// Celery's event dispatcher. It always exists: a Celery worker sends worker-online, heartbeat
    /// and offline even without -E (celery/worker/consumer/events.py, `groups=['worker']`); task
    /// events are sent only while `taskEventsOn` (-E, or `enable_events` at run time).
    let events: EventDispatcher?
    /// Remote control (nil with `--without-control`): the mailbox thread, its bounded hand-off, the
    /// reply thread, and the mailbox's Lamport clock (kombu's `Node` clock).
    let controlQueue: ControlQueue?
    var mailbox: PidboxMailbox?
    var replier: PidboxReplier?
    var mailboxClock: Int64 = 0
    /// When this worker started (`stats` uptime).
    let startedAt = Date()
    /// Start time and process of each running delivery, by delivery tag (`inspect active`).
    var runningInfo: [String: RunningInfo] = [:]
    /// Resident-memory samples `memsample` took, for `memdump` (at most 10, as Celery keeps).
    var memorySamples: [Int] = []
    /// The body whose result the core is handling now, for the task event it emits (see +Events).
    var finishedBody: FinishedBody?
    /// Told every task event and the worker's figures (metrics); set before `run()`.
    public var observer: (any LiveWorkerObserver)?

    public init(settings: LiveWorkerSettings, registry: TaskRegistry, logger: Logger = Logger(label: "lovage.worker")) throws(RedisError) {
        self.settings = settings
        self.registry = registry
        self.logger = logger
        var config = settings.core
        for name in registry.names {
            if let options = registry.entry(named: name)?.options { config.taskOptions[name] = options }
        }
        // What remote controls ask the core about: -E, worker_pool_restarts, and the task names
        // `rate_limit`/`time_limit` may name (Celery's `app.tasks`).
        config.sendTaskEvents = settings.taskEvents
        config.poolRestarts = settings.poolRestarts
        config.knownTaskNames = registry.names
        core = WorkerCore(config: config, jitterSeed: UInt64.random(in: 0...UInt64.max))
        broker = try RedisBroker(url: settings.brokerURL, options: settings.transport)
        backend = try RedisResultBackend(url: settings.resultBackendURL, resultExpires: settings.resultExpires)
        fetcher = Fetcher(url: settings.brokerURL, options: settings.transport, inbox: inbox, now: { LiveWorkerDriver.clock() })
        if settings.pool == .prefork { prefork = PreforkPool(inbox: inbox, logger: logger) }
        events = EventDispatcher(hostname: settings.core.hostname, pid: Int(getpid()), database: settings.brokerURL.database,
                                 heartbeatSeconds: settings.heartbeatSeconds)
        controlQueue = settings.remoteControl ? ControlQueue() : nil
    }

    /// The real clock, in the core's units.
    static func clock() -> Instant {
        Instant(microsecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }

    /// Asks the worker to shut down (from a signal handler's queue).
    public func requestShutdown(_ kind: ShutdownKind) { inbox.post(.shutdown(kind)) }

    /// Runs the worker until its core says it stopped. Once its pool is started and its start-up
    /// sweep done it logs `<hostname> ready.`, as Celery does once the consumer runs, and calls `onReady`.
    /// `ready.` is an INFO line written even when the logger's level is above INFO: `lovage run`
    /// starts its workers at WARNING and reads their start-ups from it, as it always could.
    public func run(onReady: () -> Void = {}) {
        if settings.mingle { mingle() }
        startRemoteControl()
        fetcher.start()
        defer {
            stopRemoteControl()
            completeWritesInFlight()
            fetcher.stop()
            slotThreads.stopAll()
            prefork?.closeAll()
        }
        var out: [WorkerDirective] = []
        core.handle(.start, now: Self.clock(), into: &out)
        apply(&out)
        queueWorkerEvent(.online)
        flushWrites()
        sendWrites()
        var startup = logger
        startup.logLevel = min(startup.logLevel, .info)
        startup.info("\(settings.core.hostname) ready.")
        notifyObserverFigures(running: true)
        onReady()
        while core.lifecycle != .stopped {
            var deadline = core.nextDeadline.map { Date(timeIntervalSince1970: Double($0.microsecondsSinceEpoch) / 1_000_000) }
                ?? Date().addingTimeInterval(1)
            if let heartbeat = events?.nextHeartbeat { deadline = min(deadline, heartbeat) }
            var readable: [Int32]? = nil
            var watched = prefork?.outputDescriptors ?? []
            let repliesDescriptor = writesInFlight.isEmpty ? nil : broker.socketDescriptor
            if let repliesDescriptor {
                watched.append(repliesDescriptor)
                deadline = min(deadline, writesInFlight.answerDeadline(socketTimeout: settings.brokerURL.socket.socketTimeoutSeconds))
            }
            var posted = inbox.take(until: deadline, watching: watched, readable: &readable)
            if let repliesDescriptor, readable?.contains(repliesDescriptor) == true {
                readArrivedReplies()
                posted += inbox.takeNow()
            } else if writesInFlight.overdue(socketTimeout: settings.brokerURL.socket.socketTimeoutSeconds) {
                completeWritesInFlight()   // waits out the socket timeout, then reconnects and sends them again
                posted += inbox.takeNow()
            }
            // The children's output is read after the inbox was taken: a child's exit notice in
            // `posted` then never overtakes the result it wrote before it exited. Only the pipes
            // the poll found readable are read, unless an exit notice came: it may have been posted
            // after the poll looked at that child's pipe, so every pipe is read then.
            let exitNoticed = posted.contains { if case .childExited = $0 { true } else { false } }
            for input in (prefork?.drainOutput(readable: exitNoticed ? nil : readable) ?? []) + posted {
                handle(input, into: &out)
                apply(&out)
            }
            core.handleTimers(now: Self.clock(), into: &out)
            apply(&out)
            if let events, Date() >= events.nextHeartbeat { queueWorkerEvent(.heartbeat) }
            // Everything this batch of inputs decided to write, events included, goes out in one pipeline.
            flushCeleryEvents()
            sendWrites()
            let recycledSinceStats = core.childrenRecycled != recycledInStats && Date().timeIntervalSince(statsPublishedAt) >= 0.25
            if Date() >= nextStatsAt || recycledSinceStats {
                nextStatsAt = Date().addingTimeInterval(2)
                statsPublishedAt = Date()
                recycledInStats = core.childrenRecycled
                publishStats()
                notifyObserverFigures(running: true)
            }
        }
        flushCeleryEvents()
        queueWorkerEvent(.offline)
        flushWrites()
        notifyObserverFigures(running: false)
    }

    // MARK: Inputs

    func handle(_ input: WorkerInbox.Input, into out: inout [WorkerDirective]) {
        let now = Self.clock()
        switch input {
        case .fetched(let deliveries):
            pendingDeliveries.append(contentsOf: deliveries)
            core.handle(takeNextDelivery(), now: now, into: &out)
        case .fetchFailed(let error):
            // The fetcher waits the outage out itself and goes on with the same fetch.
            if error.code == .timeout {
                logger.error("broker not answering on the consumer connection: \(error); reconnecting")
            } else {
                logger.error("consumer connection lost: \(error); reconnecting")
            }
        case .finished(let slot, let execution, let result, let runtime, let residentKiB, let memory):
            softLimitFlags[execution] = nil
            processed += 1
            if let memory { childMemory[slot] = memory }
            if taskEventsOn || observer != nil || settings.logTasks {
                finishedBody = FinishedBody(result: result, runtimeSeconds: runtime)
            }
            core.handle(.taskFinished(slot: slot, execution: execution, outcome: Self.outcome(result),
                                      childResidentKiB: residentKiB), now: now, into: &out)
        case .childReady(let slot, let generation):
            if prefork?.isCurrent(slot: slot, generation: generation) == true {
                core.handle(.childReady(slot: slot), now: now, into: &out)
            }
        case .childExited(let slot, let generation, let status, let signalled):
            // An exit the pool did not ask for: the child died (crash, OOM kill, os._exit).
            if prefork?.isCurrent(slot: slot, generation: generation) == true {
                let reason = signalled ? "signal \(status)" : "exitcode \(status)"
                logger.error("child process in slot \(slot) exited (\(reason))")
                core.handle(.childLost(slot: slot, reason: reason), now: now, into: &out)
            }
        case .stateUpdated(let slot, let execution, let state, let meta):
            core.handle(.taskStateUpdated(slot: slot, execution: execution, state: state, metaJSON: meta), now: now, into: &out)
        case .controlWaiting:
            answerControlRequests(into: &out)
        case .shutdown(let kind):
            logger.info("\(kind == .warm ? "warm" : "cold") shutdown")
            core.handle(.shutdown(kind), now: Self.clock(), into: &out)
        }
    }

    /// Takes the next fetched message and returns what to tell the core: `.delivered` (the core's
    /// next `.fetch` takes the one after), or `.fetchReturnedEmpty` when the batch is used up or the
    /// message was dead-lettered instead.
    func takeNextDelivery() -> WorkerEvent {
        guard let delivery = pendingDeliveries.popFirst() else { return .fetchReturnedEmpty }
        switch consume delivery {
        case .unusable(let raw, let queue, let reason, let recordedTag):
            deadLetter(raw: raw, queue: queue, reason: reason, acknowledgeTag: recordedTag)
            return .fetchReturnedEmpty
        case .message(let received):
            return receive(received)
        }
    }

    /// Stops consuming and gives back every message fetched but not yet handed to the core (a batch's
    /// rest, or what a BRPOP in flight took): they are in `unacked` and the core does not know them,
    /// so, as Kombu restores what its channel holds, they go back to their queues now.
    func giveBackUnfed() {
        fetchToSend = nil
        completeWritesInFlight()
        fetcher.stopAndWait(unblock: { clientID in
            // On the main connection, after the replies of the writes it sent without waiting.
            completeWritesInFlight()
            _ = try? broker.connection.command("CLIENT", "UNBLOCK", String(clientID))
        })
        var unfed = Array(pendingDeliveries)
        pendingDeliveries.removeAll()
        unfed.append(contentsOf: inbox.takeFetched())
        flushWrites()
        for delivery in unfed {
            switch delivery {
            case .message(let received):
                withBroker("give back \(received.deliveryTag)") { broker throws(RedisError) in
                    try broker.restore(deliveryTag: received.deliveryTag)
                }
            case .unusable(let raw, let queue, let reason, let recordedTag):
                deadLetter(raw: raw, queue: queue, reason: reason, acknowledgeTag: recordedTag)
            }
        }
    }

    /// Whether fetched messages are waiting for the core.
    var hasPendingDeliveries: Bool { !pendingDeliveries.isEmpty }

    /// A delivered envelope: decoded, checked against the registry and kept; anything the worker
    /// cannot run is acknowledged into the dead-letter list with the reason. Returns what to tell
    /// the core: `.delivered`, or `.fetchReturnedEmpty` for a dead-lettered message.
    func receive(_ received: consuming RedisBroker.ReceivedMessage) -> WorkerEvent {
        let (raw, queue, tag, redelivered) = (received.raw, received.queue, received.deliveryTag, received.redelivered)
        let message: TaskMessage
        let request: TaskRequest
        do {
            // The received message's last use: its task moves out rather than being copied.
            message = try received.task()
            try ContentTypePolicy.checkDecodable(contentType: message.contentType, contentEncoding: message.contentEncoding)
            request = try MessageTranslation.request(from: message, queue: queue, deliveryTag: tag, redelivered: redelivered)
        } catch {
            deadLetter(raw: raw, queue: queue, reason: error.description, acknowledgeTag: tag)
            return .fetchReturnedEmpty
        }
        guard registry.entry(named: message.task) != nil else {
            logger.error("Received unregistered task of type '\(message.task)' [\(message.id)]")
            deadLetter(raw: raw, queue: queue, reason: "unregistered task \(message.task)", acknowledgeTag: tag)
            return .fetchReturnedEmpty
        }
        messages[tag] = message
        return .delivered(request)
    }

    static func outcome(_ result: TaskBodyResult) -> TaskOutcome {
        switch result {
        case .success(let value): return .succeeded(resultJSON: value.serializedString())
        case .failure(let error): return .failed(error)
        case .retry(let countdown, let error): return .retryRequested(countdown: countdown, error: error)
        case .reject(let requeue): return .rejected(requeue: requeue)
        case .ignore: return .ignored
        }
    }
}

/// A flag a running task body polls for its soft time limit.
final class SoftLimitFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    func raise() { lock.withLock { raised = true } }
    var isRaised: Bool { lock.withLock { raised } }
}
