import CeleryWire

/// The message a due entry becomes: what Celery beat's `apply_async(entry.args, entry.kwargs,
/// **entry.options)` publishes — `send_task`'s form (args repr'd as a list, `ignore_result`
/// null), the entry's queue and priority, `eta` from `countdown`, `expires` and Kombu's
/// `expiration` from `expires`, and the header `celery_beat_task: true` beat adds (celery/beat.py
/// `Scheduler.apply_async`) after the entry's own headers. Pure: the caller gives the ids and now.
public enum BeatMessage {
    public static func make(_ entry: BeatEntry, id: String, deliveryTag: String, origin: String, now: Int64,
                            defaultQueue: String) -> TaskMessage {
        var headers = entry.options.headers
        headers.set(.bool(true), forKey: "celery_beat_task")
        return TaskMessage.make(
            task: entry.task, id: id, args: entry.args, kwargs: entry.kwargs, queue: queue(of: entry, defaultQueue: defaultQueue),
            priority: entry.options.priority ?? 0, deliveryTag: deliveryTag, origin: origin,
            eta: entry.options.countdownMicros.map { now + $0 },
            expires: entry.options.expiresMicros.map { now + $0 },
            expirationMillis: entry.options.expiresMicros.map { $0 / 1000 },
            ignoreResult: nil, argsAsTuple: false, extraHeaders: headers)
    }

    public static func queue(of entry: BeatEntry, defaultQueue: String) -> String { entry.options.queue ?? defaultQueue }
}
