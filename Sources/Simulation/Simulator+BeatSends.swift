import Schedules
import WorkerCore

/// A beat's send as a publish: the entry's task type published as a client publishes it — its
/// queue (routed as Celery's producer routes it), priority, countdown and expiry — with the
/// entry's own `options` winning where they are given, as `apply_async(**entry.options)` does.
/// It then travels like every other publish (broker latency, an outage holding it, the ledger,
/// a pipeline if the type starts one).
extension Simulator {
    func publishBeatSend(taskIndex: Int, options: BeatSendOptions, number: Int, id: String) {
        publish(taskIndex: taskIndex, id: id, number: number, overrides: PublishOverrides(
            queue: options.queue.map(nativeString), priority: options.priority,
            countdown: options.countdownMicros.map(TimeSpan.init(microseconds:)),
            expires: options.expiresMicros.map(TimeSpan.init(microseconds:))))
    }
}
