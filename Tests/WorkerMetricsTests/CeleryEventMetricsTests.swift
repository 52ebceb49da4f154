import CeleryWire
import Foundation
import Testing
@testable import WorkerMetrics

/// `lovage exporter`'s reading of Celery events, rule by rule as celery-exporter's.
@Suite("exporter metrics: Celery events to counters")
struct CeleryEventMetricsTests {
    final class Clock: @unchecked Sendable { var now = 1000.0 }

    static func event(_ fields: [String: JSONValue]) -> JSONObject {
        var object = JSONObject()
        for key in fields.keys.sorted() { object.set(fields[key]!, forKey: key) }
        return object
    }

    @Test("task events count by the name from task-received, the host part of the hostname and the task-sent queue")
    func taskCounters() {
        let registry = MetricsRegistry()
        let metrics = CeleryEventMetrics(registry: registry)
        func feed(_ fields: [String: JSONValue]) { metrics.consumeEvent(Self.event(fields), receivedAt: 0) }
        feed(["type": "task-sent", "uuid": "t1", "name": "app.add", "hostname": "gen1@web", "queue": "hi", "timestamp": 10.0])
        feed(["type": "task-received", "uuid": "t1", "name": "app.add", "hostname": "w1@box", "timestamp": 11.0])
        feed(["type": "task-started", "uuid": "t1", "hostname": "w1@box", "timestamp": 12.5])
        feed(["type": "task-succeeded", "uuid": "t1", "hostname": "w1@box", "runtime": 0.2, "timestamp": 12.7])
        feed(["type": "task-received", "uuid": "t2", "name": "app.boom", "hostname": "w1@box", "timestamp": 13.0])
        feed(["type": "task-started", "uuid": "t2", "hostname": "w1@box", "timestamp": 13.0])
        feed(["type": "task-failed", "uuid": "t2", "hostname": "w1@box", "exception": "KeyError('x')", "timestamp": 13.1])
        feed(["type": "task-started", "uuid": "t9", "hostname": "w1@box", "timestamp": 14])
        let text = ExpositionText(registry)
        #expect(text.value("celery_task_sent_total", ["name": "app.add", "hostname": "web", "queue_name": "hi"]) == 1)
        let add = ["name": "app.add", "hostname": "box", "queue_name": "hi"]
        #expect(text.value("celery_task_received_total", add) == 1)
        #expect(text.value("celery_task_succeeded_total", add) == 1)
        #expect(text.value("celery_task_runtime_sum", add) == 0.2)
        // Queue wait from task-sent to task-started.
        #expect(text.value("celery_task_queue_wait_time_sum", add) == 2.5)
        // No task-sent: the default queue, and no queue wait.
        let boom = ["name": "app.boom", "hostname": "box", "queue_name": "celery"]
        #expect(text.value("celery_task_failed_total", boom.merging(["exception": "KeyError"]) { a, _ in a }) == 1)
        #expect(text.value("celery_task_queue_wait_time_count", boom) == nil)
        // A task first seen at task-started has no name: Python's str(None).
        #expect(text.value("celery_task_started_total", ["name": "None", "hostname": "box", "queue_name": "celery"]) == 1)
    }

    @Test("worker up and active from online, heartbeats, offline, and the worker timeout at scrape")
    func workers() {
        let registry = MetricsRegistry()
        let clock = Clock()
        let metrics = CeleryEventMetrics(registry: registry, workerTimeoutSeconds: 300, now: { clock.now })
        func feed(_ fields: [String: JSONValue]) { metrics.consumeEvent(Self.event(fields), receivedAt: 0) }
        feed(["type": "worker-online", "hostname": "w1@a", "timestamp": 1000.0, "freq": 2.0])
        feed(["type": "worker-heartbeat", "hostname": "w1@a", "timestamp": 1000.0, "freq": 2.0, "active": 3])
        feed(["type": "worker-online", "hostname": "w2@b", "timestamp": 1000.0, "freq": 2.0])
        feed(["type": "worker-offline", "hostname": "w2@b", "timestamp": 1001.0])
        var text = ExpositionText(registry)
        #expect(text.value("celery_worker_up", ["hostname": "a"]) == 1)
        #expect(text.value("celery_worker_tasks_active", ["hostname": "a"]) == 3)
        #expect(text.value("celery_worker_up", ["hostname": "b"]) == 0)
        // A heartbeat older than 2 × freq when it arrives: not alive.
        clock.now = 1010
        feed(["type": "worker-heartbeat", "hostname": "w1@a", "timestamp": 1005.0, "freq": 2.0, "active": 1])
        #expect(ExpositionText(registry).value("celery_worker_up", ["hostname": "a"]) == 0)
        feed(["type": "worker-heartbeat", "hostname": "w1@a", "timestamp": 1009.0, "freq": 2.0, "active": 1])
        metrics.beforeScrape()
        #expect(ExpositionText(registry).value("celery_worker_up", ["hostname": "a"]) == 1)
        // 300 s of silence: down at the next scrape, nothing active.
        clock.now = 1009 + 300.5
        metrics.beforeScrape()
        text = ExpositionText(registry)
        #expect(text.value("celery_worker_up", ["hostname": "a"]) == 0)
        #expect(text.value("celery_worker_tasks_active", ["hostname": "a"]) == 0)
    }

    @Test("exception class names as celery-exporter's get_exception_class_name")
    func exceptionClass() {
        #expect(CeleryEventMetrics.exceptionClass("KeyError('bad key')") == "KeyError")
        #expect(CeleryEventMetrics.exceptionClass("TimeLimitExceeded(60,)") == "TimeLimitExceeded")
        #expect(CeleryEventMetrics.exceptionClass("oops") == "UnknownException")
        #expect(CeleryEventMetrics.exceptionClass("") == "UnknownException")
    }

    @Test("the host part of a node name, as celery.utils.nodesplit")
    func hostname() {
        #expect(CeleryHostname.of(nodeName: "celery@web-3") == "web-3")
        #expect(CeleryHostname.of(nodeName: "gen42@a@b") == "a@b")
        #expect(CeleryHostname.of(nodeName: "plain") == "plain")
    }
}
