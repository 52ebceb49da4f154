import Scenarios
import WorkerCore
import Workload

/// Client publishes: a new task's request and delivery tag, and the LPUSH that lands it after the
/// broker's latency and the idle-wake cost of a quiet host (`broker.idle_wake`), or is held by an outage.
extension Simulator {
    /// A fresh delivery tag "d<n>" and its number n (the broker's key for it).
    func newDeliveryTag() -> (tag: String, number: Int) {
        let (tag, number) = tagNumbers.next()
        return (tag, number)
    }

    /// A client publish of a new task of this type, routed as Celery's producer routes it.
    func publishNew(taskIndex: Int) {
        let (id, number) = taskNumbers.next()
        publish(taskIndex: taskIndex, id: id, number: number)
    }

    /// The one client publish of a task type: its template's queue, priority, countdown and expiry
    /// unless `overrides` say otherwise (a beat entry's `options`), the ledger, a pipeline if the
    /// type starts one, the trace, and the LPUSH.
    func publish(taskIndex: Int, id: String, number: Int, overrides: PublishOverrides = PublishOverrides()) {
        let template = publishTemplates[taskIndex]
        let delivery = newDeliveryTag()
        let countdown = overrides.countdown ?? template.countdown
        let expires = overrides.expires ?? template.expires
        let request = TaskRequest(
            id: id, name: template.name, queue: overrides.queue ?? template.queue,
            deliveryTag: delivery.tag, retries: 0,
            eta: countdown.map { now + $0 }, expires: expires.map { now + $0 },
            priority: overrides.priority ?? template.priority, ignoreResult: template.ignoreResult,
            taskNumber: number, deliveryNumber: delivery.number,
            canvas: hasCanvas[taskIndex] ? canvasLinks(type: taskIndex, plan: pipelinePlans[taskIndex], stage: 0) : .none)
        ledger.published(request, now: now, maxRetries: maxRetriesByTask[taskIndex], taskIndex: taskIndex)
        if let plan = pipelinePlans[taskIndex] { startPipeline(request, plan: plan) }
        trace.record(now, .publish, "task", request.id, "tag", request.deliveryTag, "name", request.name, "queue", request.queue)
        send(request)
    }

    /// LPUSH, after the broker latency if any; held by the producer while the broker is down.
    /// The ledger has already counted the copy as queued (`published`/`republished`).
    func send(_ request: TaskRequest) {
        var latency = scenario.broker.latency + extraLatency
        if let idleWake = scenario.broker.idleWake {
            // The quiet time before this publish decides what waking the host costs; the first
            // publish of a run comes after an arbitrarily long quiet spell.
            latency = latency + idleWake.cost(afterGap: lastPublishAt.map { now - $0 } ?? .seconds(3600))
            lastPublishAt = now
            var landsAt = now + latency
            if let previous = lastPublishLandsAt, previous > landsAt { landsAt = previous }
            lastPublishLandsAt = landsAt
            latency = landsAt - now
        }
        if latency.microseconds > 0 {
            queue.schedule(.brokerCommand(.publish(request, worker: nil)), at: now + latency)
        } else {
            landPublish(request)
        }
    }

    func landPublish(_ request: TaskRequest) {
        if brokerDown {
            publishesHeldByOutage.append(request)
            return
        }
        // The copy counted in `send` is now in a list, or goes straight to a blocked consumer.
        if let delivery = broker.push(request, now: now) {
            handOver(delivery.request, toConsumer: delivery.consumer, fromList: true)
        }
    }
}

/// What a publish may set instead of its task type's template (nil: the template's).
struct PublishOverrides {
    var queue: String? = nil
    var priority: Int? = nil
    var countdown: TimeSpan? = nil
    var expires: TimeSpan? = nil
}
