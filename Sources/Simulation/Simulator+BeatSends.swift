import Schedules
import WorkerCore

/// A beat's send as a publish: the entry's task type published as a client publishes it — its
/// queue (routed as Celery's producer routes it), priority, countdown and expiry — with the
/// entry's own `options` winning where they are given, as `apply_async(**entry.options)` does.
/// It then travels like every other publish (broker latency, an outage holding it, the ledger,
/// a pipeline if the type starts one).
extension Simulator {
    func publishBeatSend(taskIndex: Int, options: BeatSendOptions, number: Int, id: String) {
        let template = publishTemplates[taskIndex]
        let delivery = newDeliveryTag()
        let countdown = options.countdownMicros.map(TimeSpan.init(microseconds:)) ?? template.countdown
        let expires = options.expiresMicros.map(TimeSpan.init(microseconds:)) ?? template.expires
        let request = TaskRequest(
            id: id, name: template.name, queue: options.queue.map(nativeString) ?? template.queue,
            deliveryTag: delivery.tag, retries: 0,
            eta: countdown.map { now + $0 }, expires: expires.map { now + $0 },
            priority: options.priority ?? template.priority, ignoreResult: template.ignoreResult,
            taskNumber: number, deliveryNumber: delivery.number,
            canvas: hasCanvas[taskIndex] ? canvasLinks(type: taskIndex, plan: pipelinePlans[taskIndex], stage: 0) : .none)
        ledger.published(request, now: now, maxRetries: maxRetriesByTask[taskIndex], taskIndex: taskIndex)
        if let plan = pipelinePlans[taskIndex] { startPipeline(request, plan: plan) }
        trace.record(now, .publish, "task", request.id, "tag", request.deliveryTag, "name", request.name, "queue", request.queue)
        send(request)
    }
}
