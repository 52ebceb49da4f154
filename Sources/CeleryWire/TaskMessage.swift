/// A Celery task protocol v2 message as it sits in a Redis list: typed headers, typed properties
/// and the decoded `[args, kwargs, embed]` body.
///
/// Decoding remembers the original key order and which headers were present, so `encode()` of an
/// untouched decoded message reproduces Python's bytes exactly; a message built in Swift is written
/// in the order Celery 5 writes it. Header fields are nil when absent *or* JSON null (Celery treats
/// both the same); defaults follow Celery (`retries` 0, `lang` "py", ...).
public struct TaskMessage: Sendable, Equatable {
    // MARK: Headers (in Celery's order)

    public var lang: String?
    /// Registered task name, e.g. "app.add". Required, non-empty.
    public var task: String
    /// Task id (a UUID for Celery clients, but any non-empty string is accepted). Required.
    public var id: String
    /// Name shown in logs instead of `task` (send_task(shadow=...)).
    public var shadow: String?
    /// ISO 8601 not-before time; see `etaMicros`.
    public var eta: String?
    /// ISO 8601 expiry time; see `expiresMicros`.
    public var expires: String?
    public var group: String?
    public var groupIndex: Int?
    public var retries: Int
    public var timeLimit: TimeLimit
    public var rootID: String?
    public var parentID: String?
    public var argsrepr: String?
    public var kwargsrepr: String?
    /// "<pid>@<host>" of the producer.
    public var origin: String?
    /// Raw header value (Celery sometimes sends null); see `shouldIgnoreResult`.
    public var ignoreResult: Bool?
    public var replacedTaskNesting: Int
    public var stampedHeaders: [String]?
    public var stamps: JSONObject?
    /// Set by Kombu when an unacked message is restored to its queue.
    public var redelivered: Bool?
    /// Headers this module does not know (e.g. "x-custom"), in their original order.
    public var extraHeaders: JSONObject

    // MARK: Properties

    public var correlationID: String?
    public var replyTo: String?
    public var deliveryMode: Int?
    public var deliveryInfo: DeliveryInfo?
    public var priority: Int?
    /// "base64" for every Kombu-published message.
    public var bodyEncoding: String?
    /// Kombu's per-delivery id; the field name in the `unacked` hash.
    public var deliveryTag: String?
    /// Properties this module does not know (e.g. "expiration", "origin"), in original order.
    public var extraProperties: JSONObject

    // MARK: Body

    public var args: [JSONValue]
    public var kwargs: JSONObject
    public var embed: TaskEmbed

    // MARK: Envelope

    public var contentType: String
    public var contentEncoding: String
    /// Unknown top-level envelope keys.
    public var extraEnvelopeFields: JSONObject

    var headerLayout: KeyLayout
    var propertyLayout: KeyLayout

    static let headerNames = [
        "lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries", "timelimit",
        "root_id", "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result",
        "replaced_task_nesting", "stamped_headers", "stamps", "redelivered",
    ]
    /// Headers Celery 5 always sends (everything but `redelivered`).
    static let canonicalHeaderCount = 19
    static let propertyNames = [
        "correlation_id", "reply_to", "delivery_mode", "delivery_info", "priority", "body_encoding", "delivery_tag",
    ]

    /// A message with Celery's defaults for everything but the two required headers. See also
    /// `TaskMessage.make(...)`, which fills in what `send_task` would.
    public init(task: String, id: String, args: [JSONValue] = [], kwargs: JSONObject = [:]) {
        self.init(task: task, id: id, args: args, kwargs: kwargs,
                  headerLayout: .canonical(Self.canonicalHeaderCount), propertyLayout: .canonical(Self.propertyNames.count))
        lang = "py"
    }

    /// Everything at its default, with the given layouts (the decoder passes empty ones it fills in).
    init(task: String, id: String, args: [JSONValue], kwargs: JSONObject, headerLayout: KeyLayout, propertyLayout: KeyLayout) {
        self.task = task
        self.id = id
        retries = 0
        timeLimit = .unlimited
        replacedTaskNesting = 0
        extraHeaders = [:]
        extraProperties = [:]
        self.args = args
        self.kwargs = kwargs
        embed = TaskEmbed()
        contentType = ContentTypePolicy.json
        contentEncoding = "utf-8"
        extraEnvelopeFields = [:]
        self.headerLayout = headerLayout
        self.propertyLayout = propertyLayout
    }

    // MARK: Derived values

    /// `ignore_result` as Celery reads it (null → false).
    public var shouldIgnoreResult: Bool { ignoreResult ?? false }

    /// The queue this message was routed to (`delivery_info.routing_key`).
    public var queue: String? { deliveryInfo?.routingKey }

    /// `eta` in microseconds since the epoch (UTC), nil when there is no eta.
    public var etaMicros: Int64? {
        get throws(WireError) { try Self.parseTimestampHeader(eta, "headers.eta") }
    }

    /// `expires` in microseconds since the epoch (UTC), nil when the task never expires.
    public var expiresMicros: Int64? {
        get throws(WireError) { try Self.parseTimestampHeader(expires, "headers.expires") }
    }

    static func parseTimestampHeader(_ text: String?, _ path: String) throws(WireError) -> Int64? {
        guard let text else { return nil }
        do {
            return try CeleryTimestamp.parse(text)
        } catch {
            throw error.prefixed(path)
        }
    }
}
