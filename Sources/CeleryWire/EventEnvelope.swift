/// How Celery events travel on Kombu's Redis transport.
///
/// Celery sends events to the `celeryev` exchange, which is a fanout exchange on Redis
/// (celery/events/event.py `get_exchange`). Kombu publishes a fanout message with PUBLISH on the
/// channel `keyprefix_fanout + exchange + "/" + routing_key`, where `keyprefix_fanout` is
/// `/{db}.` (kombu/transport/redis.py `_get_publish_topic`, `fanout_patterns=True`), and the
/// routing key is the event type with dashes as dots — or `<group>.multi` for a buffered batch,
/// whose body is a JSON list of events (celery/events/dispatcher.py `flush`). The envelope is an
/// ordinary Kombu message: base64 body, `headers = {"hostname": …}`, delivery_mode 1.
public enum EventEnvelope {
    /// Celery's event exchange (`event_exchange`).
    public static let exchange = "celeryev"
    /// Celery's `buffer_limit`: a buffered group is flushed once it holds this many events.
    public static let bufferLimit = 24

    /// `/0.celeryev/task.multi` for database 0 and routing key `task.multi`.
    public static func channel(database: Int, routingKey: String) -> String {
        "/\(database).\(exchange)/\(routingKey)"
    }

    /// The routing key of a single event: `worker-heartbeat` → `worker.heartbeat`.
    public static func routingKey(forType type: String) -> String {
        type.replacingOccurrences(of: "-", with: ".")
    }

    /// The routing key of a buffered batch of one group: `task.multi`.
    public static func multiRoutingKey(group: String) -> String { group + ".multi" }

    /// The PUBLISH payload of one event (`worker-heartbeat` on `worker.heartbeat`).
    public static func encode(_ event: CeleryEvent, deliveryTag: String) -> [UInt8] {
        var body = JSONWriter(capacity: 512)
        event.write(into: &body)
        return envelope(body: body.out, routingKey: routingKey(forType: event.type), hostname: event.stamp.hostname,
                        deliveryTag: deliveryTag)
    }

    /// The PUBLISH payload of a buffered batch (every event of one group and one sender, in order).
    public static func encodeBatch(_ events: some Collection<CeleryEvent>, group: String, hostname: String,
                                   deliveryTag: String) -> [UInt8] {
        var body = JSONWriter(capacity: 320 * events.count)
        body.appendRaw("[")
        var first = true
        for event in events {
            if !first { body.appendRaw(", ") }
            first = false
            event.write(into: &body)
        }
        body.appendRaw("]")
        return envelope(body: body.out, routingKey: multiRoutingKey(group: group), hostname: hostname,
                        deliveryTag: deliveryTag)
    }

    /// Kombu's envelope around a JSON body, written directly: the same bytes as
    /// `KombuEnvelope(...).encode()` (the tests hold it to the captures) without building the
    /// objects or scanning the base64 text for characters to escape (it has none).
    static func envelope(body: [UInt8], routingKey: String, hostname: String, deliveryTag: String) -> [UInt8] {
        var writer = JSONWriter(capacity: (body.count + 2) / 3 * 4 + 320)
        writer.appendRaw("{\"body\": \"")
        Base64.append(body, to: &writer.out)
        writer.appendRaw("\", \"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", \"headers\": {\"hostname\": ")
        writer.writeString(hostname)
        writer.appendRaw("}, \"properties\": {\"delivery_mode\": 1, \"delivery_info\": {\"exchange\": \"celeryev\", \"routing_key\": ")
        writer.writeString(routingKey)
        writer.appendRaw("}, \"priority\": 0, \"body_encoding\": \"base64\", \"delivery_tag\": ")
        writer.writeString(deliveryTag)
        writer.appendRaw("}}")
        return writer.out
    }

    /// The events in a PUBLISH payload, in order: a batch's list or a single event's dict.
    public static func decode(_ payload: [UInt8]) throws(WireError) -> [JSONObject] {
        let body = try KombuEnvelope.decode(payload).jsonBody()
        switch body {
        case .object(let event):
            return [event]
        case .array(let items):
            var events: [JSONObject] = []
            events.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                guard case .object(let event) = item else {
                    throw WireError.wrongType("body[\(index)]", expected: "an event object", got: item)
                }
                events.append(event)
            }
            return events
        default:
            throw WireError.wrongType("body", expected: "an event object or a list of them", got: body)
        }
    }
}
