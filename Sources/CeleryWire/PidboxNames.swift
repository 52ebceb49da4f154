/// Where Celery's remote control ("pidbox", kombu/pidbox.py `Mailbox`) lives on Kombu's Redis
/// transport. Captured from Celery 5.7 / Kombu 5.7 in `Tests/Fixtures/celery-wire/pidbox/README.md`
/// ("Names on Redis").
///
/// Requests go to the fanout exchange `celery.pidbox`: Kombu PUBLISHes them on
/// `/<db>.celery.pidbox` (keyprefix_fanout + exchange; routing key ''), and every worker
/// PSUBSCRIBEs that literal pattern. A worker also declares the queue `<node>.celery.pidbox` and
/// binds it in `_kombu.binding.celery.pidbox`, though the queue never holds data. Replies go to the
/// direct exchange `reply.celery.pidbox`: the client binds its own queue `<oid>.reply.celery.pidbox`
/// there (routing key `<oid>`), the worker finds the queue through that binding set and LPUSHes;
/// without the binding the reply is lost (capture 82). Kombu 5.7 gives every binding set an
/// expiry in `_kombu.binding_deadlines` (score: Redis TIME in ms + one hour), which any client's
/// sweep enforces, so a long-running member renews its own.
public enum PidboxNames {
    /// The app's mailbox name (`app.control.mailbox`, Celery's `celery`).
    public static let defaultMailbox = "celery"
    /// Kombu's separator inside binding-set members.
    public static let bindingSeparator = "\u{06}\u{16}"
    /// The sorted set of binding deadlines (Kombu 5.7).
    public static let bindingDeadlinesKey = "_kombu.binding_deadlines"
    /// How long Kombu 5.7 keeps a binding after its last refresh.
    public static let bindingLifetimeMillis: Int64 = 3_600_000

    /// `celery.pidbox`: the fanout exchange requests go to.
    public static func requestExchange(mailbox: String = defaultMailbox) -> String { "\(mailbox).pidbox" }
    /// `reply.celery.pidbox`: the direct exchange replies go to.
    public static func replyExchange(mailbox: String = defaultMailbox) -> String { "reply.\(mailbox).pidbox" }
    /// `/0.celery.pidbox`: the PUBLISH channel (and PSUBSCRIBE pattern) of requests on database `db`.
    public static func requestChannel(database: Int, mailbox: String = defaultMailbox) -> String {
        "/\(database).\(requestExchange(mailbox: mailbox))"
    }
    /// `cw1@vm.celery.pidbox`: a worker's node queue (declared, never filled).
    public static func nodeQueue(hostname: String, mailbox: String = defaultMailbox) -> String {
        "\(hostname).\(requestExchange(mailbox: mailbox))"
    }
    /// `<oid>.reply.celery.pidbox`: a client's reply list.
    public static func replyQueue(oid: String, mailbox: String = defaultMailbox) -> String {
        "\(oid).\(replyExchange(mailbox: mailbox))"
    }
    /// `_kombu.binding.<exchange>`: the binding set of an exchange.
    public static func bindingSet(exchange: String) -> String { "_kombu.binding.\(exchange)" }
    /// `_kombu.binding_permanent.<exchange>`: when present, a sweep leaves the binding set alone.
    public static func permanentBindingKey(exchange: String) -> String { "_kombu.binding_permanent.\(exchange)" }
    /// A binding-set member: routing key, pattern ('') and queue, joined by the separator.
    public static func bindingMember(routingKey: String, queue: String) -> String {
        routingKey + bindingSeparator + bindingSeparator + queue
    }
    /// The queue of a binding-set member whose routing key is `routingKey`, or nil for another key.
    public static func queue(ofBindingMember member: String, routingKey: String) -> String? {
        let parts = member.split(separator: bindingSeparator, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == routingKey else { return nil }
        return String(parts[2])
    }
}
