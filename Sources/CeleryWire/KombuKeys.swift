/// The Redis key names Kombu's transport uses (kombu/transport/redis.py `Channel`).
///
/// In CeleryWire, not LiveWorker, so that every publisher — the worker's `RedisBroker`, a real run's
/// load, `lovage beat` (LiveBeat) — names them from one place without importing the worker.
public enum KombuKeys {
    public static let unacked = "unacked"
    public static let unackedIndex = "unacked_index"
    public static let unackedMutex = "unacked_mutex"
    /// The separator between a queue name and its priority step, and inside binding entries.
    public static let separator = "\u{06}\u{16}"

    /// `_kombu.binding.<queue>`, the set a Celery client adds the queue's binding to on publish.
    public static func binding(_ queue: String) -> String { "_kombu.binding." + queue }
    public static func bindingPermanent(_ queue: String) -> String { "_kombu.binding_permanent." + queue }
    /// The binding member for the default direct exchange: `routing_key␆␖pattern␆␖queue`.
    public static func bindingMember(_ queue: String) -> String { queue + separator + separator + queue }
}
