/// Celery's `Signature.apply_async` as a value computation: applying a signature (a task, group,
/// chain, chord, chunks or map) with partial args and call options yields the messages
/// `app.send_task`/`amqp.as_task_v2` would publish, the chord sizes and group saves, and the
/// results added to the current task's trail (`children`). Ids come from `newID`, so the same
/// generator gives the same effects.
///
/// celery/canvas.py: `Signature.apply_async` and `_merge` (partial args prepended unless
/// immutable; call options over the signature's, except `group_id`/`stamped_headers` it already
/// has), `group.apply_async`/`_freeze_gid`/`_prepared`/`_apply_tasks`, `_chain.run`,
/// `_chord.apply_async`/`run`, `_basemap.apply_async`, `chunks.group`.
public struct CanvasApplier {
    public internal(set) var effects = CanvasEffects()
    public let context: CanvasContext
    private var newID: () -> String

    /// The next id from the injected generator.
    mutating func nextID() -> String { newID() }

    public init(context: CanvasContext, newID: @escaping () -> String) {
        self.context = context
        self.newID = newID
    }

    /// Options a signature keeps over the call's (`Signature._IMMUTABLE_OPTIONS`).
    static let immutableOptions: Set<String> = ["group_id", "stamped_headers"]

    /// `signature.apply_async(args, **options)`. Returns the result's `as_tuple()`; with
    /// `addToParent` it also joins the current task's `children`.
    @discardableResult
    public mutating func apply(_ sig: CanvasSignature, args: [JSONValue] = [], options: JSONObject = [:],
                               addToParent: Bool = true) -> JSONValue {
        let result: JSONValue
        switch sig.form {
        case .task:
            result = applyTask(sig, args: args, options: options)
        case .group(let members):
            return applyGroup(members, groupOptions: sig.options, args: args, options: options, addToParent: addToParent)
        case .chain(let steps):
            result = applyChain(sig, steps: steps, args: args, options: options)
        case .chord(let header, let body):
            return applyChord(sig, header: header, body: body, args: args, options: options, addToParent: addToParent)
        case .map:
            result = applyMap(sig, options: options)
        case .chunks:
            return applyChunks(sig, options: options, addToParent: addToParent)
        }
        if addToParent { effects.children.append(result) }
        return result
    }

    // MARK: One task

    /// `Signature._merge` of the options: the signature's, then the call's (non-null) ones unless
    /// immutable and already set.
    static func merge(_ own: JSONObject, _ call: JSONObject) -> JSONObject {
        var merged = own
        for (key, value) in call where !value.isNull {
            if immutableOptions.contains(key) && own[key] != nil { continue }
            merged.set(value, forKey: key)
        }
        return merged
    }

    /// A plain task signature: `(args + sig.args)` unless immutable, kwargs as signed, the merged
    /// options turned into one message.
    @discardableResult
    mutating func applyTask(_ sig: CanvasSignature, args: [JSONValue], options: JSONObject,
                            kwargs: JSONObject? = nil, routeName: String? = nil) -> JSONValue {
        let merged = Self.merge(sig.options, options)
        let finalArgs = sig.immutable || args.isEmpty ? sig.args : args + sig.args
        let id = publish(task: sig.task, args: finalArgs, kwargs: kwargs ?? sig.kwargs, options: merged,
                         routeName: routeName ?? sig.task)
        return Self.asTuple(id)
    }

    /// `AsyncResult.as_tuple()` of a result without a parent: `[[id, null], null]`.
    public static func asTuple(_ id: String) -> JSONValue { .array([.array([.string(id), .null]), .null]) }

    /// `GroupResult.as_tuple()`: `[[gid, null], [member tuples]]`.
    public static func groupTuple(_ gid: String, _ members: [JSONValue]) -> JSONValue {
        .array([.array([.string(gid), .null]), .array(members)])
    }

    /// `app.send_task` + `amqp.as_task_v2` for the merged options; returns the task id.
    mutating func publish(task: String, args: [JSONValue], kwargs: JSONObject, options o: JSONObject,
                          routeName: String) -> String {
        let id = o["task_id"]?.stringValue ?? newID()
        let queue = Self.queueName(o["queue"]) ?? o["routing_key"]?.stringValue ?? context.route(routeName) ?? "celery"
        var eta: Int64?
        if let etaText = o["eta"]?.stringValue { eta = try? CeleryTimestamp.parse(etaText) }
        if eta == nil, let countdown = o["countdown"]?.doubleValue {
            eta = context.nowMicros + Int64(countdown * 1_000_000)
        }
        var expires: Int64?
        switch o["expires"] {
        case .string(let text)?: expires = try? CeleryTimestamp.parse(text)
        case let v? where v.doubleValue != nil: expires = context.nowMicros + Int64(v.doubleValue! * 1_000_000)
        default: break
        }
        let expiration = expires.map { max(0, ($0 - context.nowMicros) / 1000) }
        let embed = TaskEmbed(callbacks: Self.maybeList(o["link"]), errbacks: Self.maybeList(o["link_error"]),
                              chain: o["chain"] ?? .null, chord: o["chord"] ?? .null)
        var message = TaskMessage.make(
            task: task, id: id, args: args, kwargs: kwargs, queue: queue,
            priority: o["priority"]?.intValue.map { Int($0) } ?? 0, deliveryTag: newID(),
            replyTo: o["reply_to"]?.stringValue ?? context.replyTo, origin: context.origin,
            eta: eta, expires: expires, expirationMillis: expiration,
            timeLimit: TimeLimit(hard: o["time_limit"]?.doubleValue, soft: o["soft_time_limit"]?.doubleValue),
            shadow: o["shadow"]?.stringValue, group: o["group_id"]?.stringValue,
            groupIndex: o["group_index"]?.intValue.map { Int($0) },
            rootID: o["root_id"]?.stringValue ?? context.rootID,
            parentID: o["parent_id"]?.stringValue ?? context.taskID,
            ignoreResult: o["ignore_result"]?.boolValue ?? false, embed: embed)
        if let nesting = o["replaced_task_nesting"]?.intValue { message.replacedTaskNesting = Int(nesting) }
        effects.messages.append(CanvasEffects.Message(queue: queue, message: message))
        return id
    }

    /// `options.queue` as a name (Celery also accepts a Queue, sent as a dict with `name`).
    static func queueName(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s)?: return s
        case .object(let o)?: return o["name"]?.stringValue
        default: return nil
        }
    }

    /// Kombu's `maybe_list`: one signature becomes a list of one; null stays null.
    static func maybeList(_ value: JSONValue?) -> JSONValue {
        switch value {
        case nil, .null?: return .null
        case .object?: return .array([value!])
        case let v?: return v
        }
    }

    /// `Signature.freeze(group_id=, root_id=, group_index=, chord=)`: a task id if it has none,
    /// and the group's lineage written into its options, in Celery's order.
    mutating func freeze(_ sig: CanvasSignature, groupID: String?, rootID: String?, groupIndex: Int?,
                         chord: JSONValue? = nil) -> (CanvasSignature, String) {
        var s = sig
        let id: String
        if let existing = s.taskID { id = existing } else { id = newID(); s = s.settingOption("task_id", .string(id)) }
        if let rootID { s = s.settingOption("root_id", .string(rootID)) }
        if s.options["reply_to"] == nil { s = s.settingOption("reply_to", .string(context.replyTo)) }
        if let groupID, s.options["group_id"] == nil { s = s.settingOption("group_id", .string(groupID)) }
        if let chord { s = s.settingOption("chord", chord) }
        if let groupIndex { s = s.settingOption("group_index", .int(Int64(groupIndex))) }
        return (s, id)
    }
}
