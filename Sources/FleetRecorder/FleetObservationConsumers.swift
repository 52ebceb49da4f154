import CeleryWire
import FleetRecording

/// Where `EventTap` hands what it hears: `lovage record` writes it into a recording
/// (`RecordedEvents`), `lovage exporter` turns it into Prometheus metrics. Called on the tap's
/// own thread, one call at a time.
public protocol FleetEventConsumer: AnyObject, Sendable {
    /// One decoded Celery event (a `task.multi` batch arrives as its events, in order).
    func consumeEvent(_ event: JSONObject, receivedAt: Double)
    /// A keyspace notification of a push onto a watched queue list (with keyspace events on).
    func consumePush(_ push: QueuePush)
    /// A span without a subscriber connection: the events published meanwhile are lost.
    func consumeGap(_ gap: RecordingGap)
    /// The Redis commands the tap has sent so far (its running total).
    func consumeCommandCount(_ count: Int, part: String)
}

/// Where `QueueSampler` hands its samples: a recording, or the `celery_queue_length` gauges.
/// Called on the sampler's own thread, one call at a time.
public protocol QueueLengthConsumer: AnyObject, Sendable {
    /// One sample: every watched list's length (one per queue and priority step) and `unacked`'s.
    func consumeLengths(_ sample: QueueLengthSample, steps: [Int])
    /// A span in which the broker did not answer the sampler.
    func consumeGap(_ gap: RecordingGap)
    /// The Redis commands the sampler has sent so far (its running total).
    func consumeCommandCount(_ count: Int, part: String)
}
