import CeleryWire

/// What the recorder keeps of a task event: everything but what can hold a user's data.
///
/// `task-received` and `task-sent` carry `args` and `kwargs` (reprs of the call), `task-succeeded`
/// its `result`, and `task-failed`/`task-retried` the exception's text and traceback, which quote
/// values as often as not (`KeyError('alice@example.com')`). Unless the user asks for them
/// (`--keep-args`), these are dropped and an exception keeps only its type, which is all a
/// calibration needs.
public enum EventPrivacy {
    /// The fields dropped unless asked for; `exception` is reduced to its type instead.
    public static let privateFields = ["args", "kwargs", "result", "traceback"]

    public static func redact(_ event: JSONObject, keepArgs: Bool) -> JSONObject {
        guard !keepArgs else { return event }
        var kept = JSONObject()
        for (key, value) in event {
            if privateFields.contains(key) { continue }
            if key == "exception", let text = value.stringValue {
                kept.set(.string(exceptionType(text)), forKey: key)
                continue
            }
            kept.set(value, forKey: key)
        }
        return kept
    }

    /// `KeyError('bad key')` → `KeyError`; a dotted module path keeps its last part.
    public static func exceptionType(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "Exception" }
        let head = text.prefix { $0 != "(" && $0 != ":" && $0 != " " }
        return String(head.split(separator: ".").last ?? head)
    }
}
