/// The value of `celery-task-meta-<task_id>` in the Redis result backend (SETEX'd and PUBLISHed on
/// the same key): `{"status", "result", "traceback", "children", "date_done", [extras], "task_id"}`.
///
/// Celery writes extras such as `group_id`/`parent_id` between `date_done` and `task_id`
/// (capture 55); decoding keeps their position so `encode()` is byte-identical.
public struct ResultDocument: Sendable, Equatable {
    /// A `TaskState` raw value, or a custom state such as "PROGRESS".
    public var status: String
    /// The return value (SUCCESS), exception dict (FAILURE/RETRY/REVOKED), `{pid, hostname}`
    /// (STARTED) or custom meta.
    public var result: JSONValue
    public var traceback: String?
    /// Child result tuples, e.g. `[[["<id>", null], null]]`; kept raw.
    public var children: JSONValue
    /// ISO 8601 completion time; null for non-ready states.
    public var dateDone: String?
    public var taskID: String
    /// Other keys (`group_id`, `parent_id`, extended-result fields), in order.
    public var extra: JSONObject
    var layout: KeyLayout

    static let names = ["status", "result", "traceback", "children", "date_done", "task_id"]
    static let canonicalLayout = KeyLayout(slots: [.known(0), .known(1), .known(2), .known(3), .known(4),
                                                   .restOfExtras, .known(5)])

    public init(status: String, result: JSONValue = .null, traceback: String? = nil, children: JSONValue = .array([]),
                dateDone: String? = nil, taskID: String, extra: JSONObject = [:]) {
        self.status = status
        self.result = result
        self.traceback = traceback
        self.children = children
        self.dateDone = dateDone
        self.taskID = taskID
        self.extra = extra
        self.layout = Self.canonicalLayout
    }

    /// The Redis key this document lives under.
    public static func key(taskID: String) -> String { "celery-task-meta-" + taskID }
    public var key: String { Self.key(taskID: taskID) }

    /// `status` as a known state; nil for custom states.
    public var state: TaskState? { TaskState(rawValue: status) }

    public var parentID: String? { extra["parent_id"]?.stringValue }
    public var groupID: String? { extra["group_id"]?.stringValue }

    /// `date_done` in microseconds since the epoch, nil when null.
    public var dateDoneMicros: Int64? {
        get throws(WireError) {
            guard let dateDone else { return nil }
            do { return try CeleryTimestamp.parse(dateDone) } catch { throw error.prefixed("date_done") }
        }
    }

    /// The exception of a FAILURE/RETRY/REVOKED document.
    public func exceptionInfo() throws(WireError) -> ExceptionInfo {
        try ExceptionInfo.decode(result, path: "result")
    }

    /// STARTED's `{pid, hostname}` (with task_track_started).
    public func startedInfo() throws(WireError) -> (pid: Int, hostname: String) {
        let o = try Field.object(result, "result")
        guard let pid = o["pid"] else { throw WireError.missing("result.pid") }
        guard let host = o["hostname"] else { throw WireError.missing("result.hostname") }
        return (try Field.int(pid, "result.pid"), try Field.string(host, "result.hostname"))
    }

    // MARK: Decoding / encoding

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> ResultDocument {
        try decode(json: try JSONValue.parse(bytes))
    }

    public static func decode(json: JSONValue) throws(WireError) -> ResultDocument {
        let object = try Field.object(json, "result document")
        var doc = ResultDocument(status: "", taskID: "")
        var slots: [KeyLayout.Slot] = []
        var sawStatus = false
        var sawTaskID = false
        for (key, v) in object {
            let n: Int
            switch key {
            case "status": doc.status = try Field.string(v, "status"); sawStatus = true; n = 0
            case "result": doc.result = v; n = 1
            case "traceback": doc.traceback = try Field.optString(v, "traceback"); n = 2
            case "children": doc.children = v; n = 3
            case "date_done": doc.dateDone = try Field.optString(v, "date_done"); n = 4
            case "task_id": doc.taskID = try Field.string(v, "task_id"); sawTaskID = true; n = 5
            default:
                doc.extra.appendUnchecked(key, v)
                slots.append(.extra)
                continue
            }
            slots.append(.known(UInt8(n)))
        }
        guard sawStatus else { throw WireError.missing("status") }
        guard sawTaskID else { throw WireError.missing("task_id") }
        doc.layout = KeyLayout(slots: slots)
        return doc
    }

    public func jsonValue() -> JSONValue {
        .object(layout.assemble(names: Self.names, extras: extra) { n, inLayout in
            switch n {
            case 0: return .string(status)
            case 1: return inLayout || !result.isNull ? result : nil
            case 2: return traceback.map(JSONValue.string) ?? (inLayout ? .null : nil)
            case 3: return children
            case 4: return dateDone.map(JSONValue.string) ?? (inLayout ? .null : nil)
            default: return .string(taskID)
            }
        })
    }

    /// The bytes to SETEX/PUBLISH, as Celery's JSON result serializer writes them.
    public func encode() -> [UInt8] {
        guard layout.slots == Self.canonicalLayout.slots else { return jsonValue().serialized() }
        // The worker stores one document per task in this layout: written straight to bytes, the
        // same bytes `jsonValue().serialized()` gives, without assembling a JSON object first.
        var writer = JSONWriter(capacity: 160 + taskID.utf8.count)
        writer.appendRaw("{\"status\": ")
        writer.writeString(status)
        writer.appendRaw(", \"result\": ")
        writer.write(result)
        writer.appendRaw(", \"traceback\": ")
        if let traceback { writer.writeString(traceback) } else { writer.appendRaw("null") }
        writer.appendRaw(", \"children\": ")
        writer.write(children)
        writer.appendRaw(", \"date_done\": ")
        if let dateDone { writer.writeString(dateDone) } else { writer.appendRaw("null") }
        for (key, value) in extra where !Self.names.contains(key) {
            writer.appendRaw(", ")
            writer.writeString(key)
            writer.appendRaw(": ")
            writer.write(value)
        }
        writer.appendRaw(", \"task_id\": ")
        writer.writeString(taskID)
        writer.appendRaw("}")
        return writer.out
    }
}

/// A serialized exception as Celery's JSON result backend stores it:
/// `{"exc_type": "KeyError", "exc_message": ["kaboom"], "exc_module": "builtins"}`.
public struct ExceptionInfo: Sendable, Equatable {
    /// Class name, e.g. "ValueError".
    public var excType: String
    /// The exception's `args`.
    public var excMessage: [JSONValue]
    /// Defining module, e.g. "builtins", "celery.exceptions".
    public var excModule: String?
    /// Unknown keys, kept in order after the standard three.
    public var extra: JSONObject

    public init(excType: String, excMessage: [JSONValue], excModule: String? = "builtins", extra: JSONObject = [:]) {
        self.excType = excType
        self.excMessage = excMessage
        self.excModule = excModule
        self.extra = extra
    }

    public static func decode(_ json: JSONValue, path: String = "result") throws(WireError) -> ExceptionInfo {
        let o = try Field.object(json, path)
        guard let type = o["exc_type"] else { throw WireError.missing("\(path).exc_type") }
        guard let message = o["exc_message"] else { throw WireError.missing("\(path).exc_message") }
        var extra = JSONObject()
        for (k, v) in o where k != "exc_type" && k != "exc_message" && k != "exc_module" {
            extra.appendUnchecked(k, v)
        }
        return ExceptionInfo(excType: try Field.string(type, "\(path).exc_type"),
                             excMessage: try Field.array(message, "\(path).exc_message"),
                             excModule: try o["exc_module"].map { v throws(WireError) in try Field.optString(v, "\(path).exc_module") } ?? nil,
                             extra: extra)
    }

    public var json: JSONValue {
        var o = JSONObject()
        o.appendUnchecked("exc_type", .string(excType))
        o.appendUnchecked("exc_message", .array(excMessage))
        if let excModule { o.appendUnchecked("exc_module", .string(excModule)) }
        for (k, v) in extra where o.index(forKey: k) == nil { o.appendUnchecked(k, v) }
        return .object(o)
    }
}
