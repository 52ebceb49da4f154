import CeleryWire
import CoreMetrics
import FleetRecorder
import FleetRecording
import Foundation

/// `lovage exporter`'s metrics from a fleet's Celery events, as celery-exporter computes them
/// (src/exporter.py: `track_task_event`, `track_worker_heartbeat`, `track_worker_status`,
/// `track_timed_out_workers`):
///
/// - task events count into the task counters (`TaskEventCounters`) by the task's name (known
///   from its task-received or task-sent event), the host part of the event's hostname, and the
///   queue of its task-sent event (`defaultQueue`, "celery", when the publisher sends none —
///   Celery's default, `task_send_sent_event` off);
/// - task-succeeded observes its `runtime` into `celery_task_runtime`; task-started observes
///   the wait since task-sent (or the eta, if later; never below 0) into
///   `celery_task_queue_wait_time`;
/// - worker-online sets `celery_worker_up` to 1; a heartbeat sets it to whether the worker is
///   alive (Celery's rule: the heartbeat is less than 2 × its `freq` old) and
///   `celery_worker_tasks_active` to its `active`; worker-offline sets both to 0, and so does
///   a scrape once a worker has sent nothing for `workerTimeoutSeconds` (300 s by default).
///
/// Like celery.events.State, it remembers the last 10,000 tasks (oldest forgotten first).
/// Thread-safe: events come from the tap's thread, scrapes from the server's.
public final class CeleryEventMetrics: FleetEventConsumer, @unchecked Sendable {
    struct TaskFacts { var name: String?; var hostname: String?; var queue: String?; var sent: Double?; var eta: Double? }
    struct WorkerSeen { var at: Double; var forgotten: Bool }

    private let lock = NSLock()
    private let counters: TaskEventCounters
    private let cache: MetricCache
    private let defaultQueue: String
    let workerTimeoutSeconds: Double
    private let now: @Sendable () -> Double
    private var tasks: [String: TaskFacts] = [:]
    private var taskOrder: [String] = []
    private var taskOrderStart = 0
    static let maxTasksInMemory = 10_000
    private var workers: [String: WorkerSeen] = [:]
    /// Events the fleet published while the subscriber was disconnected are lost: counted here.
    public private(set) var gaps = 0

    public init(registry: MetricsRegistry, defaultQueue: String = "celery", workerTimeoutSeconds: Double = 300,
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        counters = TaskEventCounters(factory: registry.factory)
        cache = MetricCache(factory: registry.factory)
        self.defaultQueue = defaultQueue
        self.workerTimeoutSeconds = workerTimeoutSeconds
        self.now = now
    }

    public func consumeEvent(_ event: JSONObject, receivedAt: Double) {
        guard let type = event["type"]?.stringValue else { return }
        lock.withLock {
            if type.hasPrefix("task-") { taskEvent(type, event) } else if type.hasPrefix("worker-") { workerEvent(type, event) }
        }
    }

    public func consumePush(_ push: QueuePush) {}
    public func consumeGap(_ gap: RecordingGap) { lock.withLock { gaps += 1 } }
    public func consumeCommandCount(_ count: Int, part: String) {}

    /// Before each scrape: workers silent for longer than the timeout are down (0 up, 0 active).
    public func beforeScrape() {
        lock.withLock {
            guard workerTimeoutSeconds > 0 else { return }
            let now = now()
            for host in workers.keys.sorted() where !(workers[host]!.forgotten) && now - workers[host]!.at > workerTimeoutSeconds {
                forget(host)
            }
        }
    }

    private func taskEvent(_ type: String, _ event: JSONObject) {
        guard let uuid = event["uuid"]?.stringValue else { return }
        var facts = tasks[uuid] ?? { remember(uuid); return TaskFacts() }()
        if let name = event["name"]?.stringValue { facts.name = name }
        if let host = event["hostname"]?.stringValue { facts.hostname = host }
        if type == "task-sent" {
            facts.queue = event["queue"]?.stringValue
            facts.sent = event["timestamp"]?.doubleValue
        }
        if let eta = event["eta"]?.stringValue, let micros = try? CeleryTimestamp.parse(eta) { facts.eta = Double(micros) / 1_000_000 }
        tasks[uuid] = facts
        // A task first seen after its received event (the exporter started mid-task) has no name:
        // celery-exporter labels it with Python's str(None).
        let name = facts.name ?? "None"
        let hostname = CeleryHostname.of(nodeName: facts.hostname ?? "")
        let queue = facts.queue ?? defaultQueue
        var exception: String?
        if type == "task-failed" { exception = Self.exceptionClass(event["exception"]?.stringValue ?? "") }
        counters.count(type: type, name: name, hostname: hostname, queue: queue, exception: exception)
        let labels = [("name", name), ("hostname", hostname), ("queue_name", queue)]
        if type == "task-started", let sent = facts.sent, let started = event["timestamp"]?.doubleValue {
            let wait = max(0, started - max(sent, facts.eta ?? sent))
            cache.histogram(MetricNames.taskQueueWaitTime, labels).record(wait)
        }
        if type == "task-succeeded", let runtime = event["runtime"]?.doubleValue {
            cache.histogram(MetricNames.taskRuntime, labels).record(runtime)
        }
    }

    private func workerEvent(_ type: String, _ event: JSONObject) {
        guard let node = event["hostname"]?.stringValue else { return }
        let host = CeleryHostname.of(nodeName: node)
        let at = event["timestamp"]?.doubleValue ?? now()
        switch type {
        case "worker-online":
            cache.gauge(MetricNames.workerUp, [("hostname", host)]).record(1)
            workers[host] = WorkerSeen(at: at, forgotten: false)
        case "worker-heartbeat":
            workers[host] = WorkerSeen(at: at, forgotten: false)
            let freq = event["freq"]?.doubleValue ?? 2
            // celery.events.state.Worker.alive: now < heartbeat + freq × expire_window (200%).
            let alive = now() < at + freq * 2
            cache.gauge(MetricNames.workerUp, [("hostname", host)]).record(alive ? 1 : 0)
            cache.gauge(MetricNames.workerTasksActive, [("hostname", host)]).record(Int(event["active"]?.intValue ?? 0))
        case "worker-offline":
            forget(host)
        default:
            break
        }
    }

    /// celery-exporter's `forget_worker`: down, nothing active.
    private func forget(_ host: String) {
        guard workers[host] != nil else { return }
        cache.gauge(MetricNames.workerUp, [("hostname", host)]).record(0)
        cache.gauge(MetricNames.workerTasksActive, [("hostname", host)]).record(0)
        workers[host]?.forgotten = true
    }

    private func remember(_ uuid: String) {
        taskOrder.append(uuid)
        if taskOrder.count - taskOrderStart > Self.maxTasksInMemory {
            tasks[taskOrder[taskOrderStart]] = nil
            taskOrderStart += 1
            if taskOrderStart > Self.maxTasksInMemory {
                taskOrder.removeFirst(taskOrderStart)
                taskOrderStart = 0
            }
        }
    }

    /// celery-exporter's `get_exception_class_name`: `KeyError('x')` → `KeyError`, else `UnknownException`.
    static func exceptionClass(_ repr: String) -> String {
        let word = repr.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        guard !word.isEmpty, repr.dropFirst(word.count).first == "(" else { return "UnknownException" }
        return String(word)
    }
}
