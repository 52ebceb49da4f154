import LiveWorker
import Testing
import WorkerCore
@testable import WorkerMetrics

/// The worker's metrics from the core's task events and the driver's figures.
@Suite("worker metrics: events to counters")
struct WorkerMetricsObserverTests {
    static func event(_ kind: TaskEvent.Kind, _ name: String, tag: String, queue: String = "celery", eta: Instant? = nil) -> TaskEvent {
        TaskEvent(kind: kind, request: TaskRequest(id: "id-" + tag, name: name, queue: queue, deliveryTag: tag, eta: eta))
    }

    @Test("received/started/succeeded, failed and retried count by name, hostname and queue as celery-exporter's")
    func countsByKind() {
        let registry = MetricsRegistry()
        let observer = WorkerMetricsObserver(registry: registry, nodeName: "w1@box")
        observer.observe(Self.event(.received, "app.add", tag: "a"), facts: LiveTaskEventFacts(at: 100))
        observer.observe(Self.event(.started, "app.add", tag: "a"), facts: LiveTaskEventFacts(at: 100.25))
        observer.observe(Self.event(.succeeded, "app.add", tag: "a"), facts: LiveTaskEventFacts(runtimeSeconds: 0.3, at: 100.55))
        observer.observe(Self.event(.received, "app.boom", tag: "b", queue: "hi"), facts: LiveTaskEventFacts(at: 101))
        observer.observe(Self.event(.started, "app.boom", tag: "b", queue: "hi"), facts: LiveTaskEventFacts(at: 101))
        observer.observe(Self.event(.failed, "app.boom", tag: "b", queue: "hi"),
                         facts: LiveTaskEventFacts(runtimeSeconds: 0.01, exceptionType: "KeyError", at: 101.01))
        observer.observe(Self.event(.received, "app.add", tag: "c"), facts: LiveTaskEventFacts(at: 102))
        observer.observe(Self.event(.started, "app.add", tag: "c"), facts: LiveTaskEventFacts(at: 102))
        observer.observe(Self.event(.retried, "app.add", tag: "c"), facts: LiveTaskEventFacts(exceptionType: "RuntimeError", at: 102))
        let text = ExpositionText(registry)
        let add = ["name": "app.add", "hostname": "box", "queue_name": "celery"]
        let boom = ["name": "app.boom", "hostname": "box", "queue_name": "hi"]
        #expect(text.value("celery_task_received_total", add) == 2)
        #expect(text.value("celery_task_started_total", add) == 2)
        #expect(text.value("celery_task_succeeded_total", add) == 1)
        #expect(text.value("celery_task_retried_total", add) == 1)
        #expect(text.value("celery_task_failed_total", boom.merging(["exception": "KeyError"]) { a, _ in a }) == 1)
        // The other counters exist at zero for the same labels (exception ""), task-sent not at all.
        #expect(text.value("celery_task_failed_total", add.merging(["exception": ""]) { a, _ in a }) == 0)
        #expect(text.value("celery_task_revoked_total", boom) == 0)
        #expect(text.value("celery_task_sent_total", add) == nil)
        // Runtime of succeeded tasks only; the prefetch wait from receipt to start.
        #expect(text.value("celery_task_runtime_count", add) == 1)
        #expect(text.value("celery_task_runtime_sum", add) == 0.3)
        #expect(text.value("celery_task_runtime_bucket", add.merging(["le": "0.25"]) { a, _ in a }) == 0)
        #expect(text.value("celery_task_runtime_bucket", add.merging(["le": "0.5"]) { a, _ in a }) == 1)
        #expect(text.value("celery_task_runtime_count", boom) == nil)
        #expect(text.value("lovage_task_prefetch_wait_seconds_sum", add) == 0.25)
        #expect(text.value("lovage_task_prefetch_wait_seconds_count", add) == 2)
    }

    @Test("the prefetch wait of a message held for its eta starts at the eta")
    func prefetchWaitExcludesEta() {
        let registry = MetricsRegistry()
        let observer = WorkerMetricsObserver(registry: registry, nodeName: "w1@box")
        let eta = Instant(microsecondsSinceEpoch: 110_000_000)
        observer.observe(Self.event(.received, "app.add", tag: "a", eta: eta), facts: LiveTaskEventFacts(at: 100))
        observer.observe(Self.event(.started, "app.add", tag: "a", eta: eta), facts: LiveTaskEventFacts(at: 110.5))
        #expect(ExpositionText(registry).value("lovage_task_prefetch_wait_seconds_sum",
                                               ["name": "app.add", "hostname": "box", "queue_name": "celery"]) == 0.5)
    }

    @Test("figures set the gauges; recycles and dead letters count what is new; children's memory by slot")
    func figures() {
        let registry = MetricsRegistry()
        let observer = WorkerMetricsObserver(registry: registry, nodeName: "w1@box")
        let child = ChildMemory(residentKiB: 1, taskAllocatedBytes: 2, allocatedBytes: 300, activeBytes: 400, residentBytes: 500)
        observer.observe(LiveWorkerFigures(nodeName: "w1@box", running: true, poolSize: 3, autoscaleMin: 1, autoscaleMax: 4, active: 2,
                                           prefetched: 5, heldForEta: 6, queues: ["celery"], childrenRecycled: 2, deadLettered: 1,
                                           parentMemory: JemallocStats(allocatedBytes: 10, activeBytes: 20, residentBytes: 30),
                                           childMemory: [(slot: 1, memory: child)]))
        observer.observe(LiveWorkerFigures(nodeName: "w1@box", running: false, poolSize: 3, active: 0, queues: ["celery"],
                                           childrenRecycled: 5, deadLettered: 1))
        let text = ExpositionText(registry)
        let host = ["hostname": "box"]
        #expect(text.value("celery_worker_up", host) == 0)
        #expect(text.value("celery_worker_tasks_active", host) == 0)
        #expect(text.value("lovage_worker_pool_size", host) == 3)
        #expect(text.value("lovage_worker_autoscale_max", host) == 4)
        #expect(text.value("lovage_worker_children_recycled_total", host) == 5)
        #expect(text.value("lovage_worker_dead_letters_total", host) == 1)
        #expect(text.value("lovage_jemalloc_resident_bytes", ["hostname": "box", "process": "parent"]) == 30)
        #expect(text.value("lovage_jemalloc_active_bytes", ["hostname": "box", "process": "child-1"]) == 400)
    }

    @Test("the text lists families by name and series by labels, whatever the registry's order")
    func sortedExposition() {
        let text = """
        # TYPE b_total counter
        b_total{x="2"} 1
        b_total{x="1"} 2
        # TYPE a histogram
        a_bucket{x="z",le="1.0"} 1
        a_bucket{x="z",le="+Inf"} 1
        a_sum{x="z"} 0.5
        a_count{x="z"} 1
        a_bucket{x="y",le="1.0"} 0
        a_bucket{x="y",le="+Inf"} 2
        a_sum{x="y"} 3
        a_count{x="y"} 2

        """
        #expect(ExpositionOrder.sorted(text) == """
        # TYPE a histogram
        a_bucket{x="y",le="1.0"} 0
        a_bucket{x="y",le="+Inf"} 2
        a_sum{x="y"} 3
        a_count{x="y"} 2
        a_bucket{x="z",le="1.0"} 1
        a_bucket{x="z",le="+Inf"} 1
        a_sum{x="z"} 0.5
        a_count{x="z"} 1
        # TYPE b_total counter
        b_total{x="1"} 2
        b_total{x="2"} 1

        """)
    }

    @Test("a port in use is refused at start, naming the flag and the port")
    func portInUse() throws {
        let first = try MetricsServer.start(address: "127.0.0.1", port: 0, portFlag: "--metrics-port", addressFlag: "--metrics-address", registry: MetricsRegistry())
        defer { first.stop() }
        #expect(first.port > 0)
        do {
            let second = try MetricsServer.start(address: "127.0.0.1", port: first.port, portFlag: "--metrics-port", addressFlag: "--metrics-address", registry: MetricsRegistry())
            second.stop()
            Issue.record("a second server listened on port \(first.port)")
        } catch {
            #expect(error.description == "--metrics-port \(first.port): cannot listen on 127.0.0.1:\(first.port): Address already in use")
        }
        #expect(throws: MetricsServerError("--metrics-address localhost: not an IPv4 or IPv6 address")) {
            try MetricsServer.check(address: "localhost", port: 0, portFlag: "--metrics-port", addressFlag: "--metrics-address")
        }
        #expect(throws: MetricsServerError("--metrics-port 65536: not a port (0 to 65535)")) {
            try MetricsServer.check(address: "127.0.0.1", port: 65536, portFlag: "--metrics-port", addressFlag: "--metrics-address")
        }
    }
}
