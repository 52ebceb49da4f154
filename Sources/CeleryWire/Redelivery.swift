/// The mark Kombu's Redis transport puts on a message it gives back to its queue, whether a restore
/// (a crashed or stopping worker's deliveries, or the visibility-timeout sweep) or a reject with
/// requeue: `_do_restore_message` sets `headers.redelivered = True` and
/// `properties.delivery_info.redelivered = True` in the stored message before pushing it back.
///
/// The one place the mark is written on the wire: `RedisBroker`'s restore applies it to the message
/// it reads from `unacked`. Python's dict assignment keeps a key that is present where it is and
/// appends a new one, which `JSONObject.set` does too, so the bytes are Kombu's (capture 62). A
/// message without `headers` or without `delivery_info` gets the flag where it has the object.
public enum Redelivery {
    /// Marks a Kombu message (the envelope `{"body", "content-encoding", "content-type", "headers",
    /// "properties"}`) redelivered.
    public static func mark(_ message: inout JSONObject) {
        if case .object(var headers)? = message["headers"] {
            headers.set(.bool(true), forKey: "redelivered")
            message["headers"] = .object(headers)
        }
        if case .object(var properties)? = message["properties"], case .object(var info)? = properties["delivery_info"] {
            info.set(.bool(true), forKey: "redelivered")
            properties["delivery_info"] = .object(info)
            message["properties"] = .object(properties)
        }
    }
}
