import Schedules
import WorkerCore
import Workload

/// A beat's send as a publish: the entry's task type published as a client publishes it — its
/// queue (routed as Celery's producer routes it), priority, countdown and expiry — with the
/// entry's own `options` winning where they are given (`PublishTemplate.beatSend`, the rule a
/// real run's schedule file is written by too). It then travels like every other publish (broker
/// latency, an outage holding it, the ledger, a pipeline if the type starts one).
extension Simulator {
    func publishBeatSend(taskIndex: Int, options: BeatSendOptions, number: Int, id: String) {
        let send = publishTemplates[taskIndex].beatSend(options)
        publish(taskIndex: taskIndex, id: id, number: number, overrides: PublishOverrides(
            queue: nativeString(send.queue), priority: send.priority, countdown: send.countdown, expires: send.expires))
    }
}
