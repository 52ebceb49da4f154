/// One signature dict as Celery puts it in a message's `embed` (celery/canvas.py `Signature`:
/// `task`, `args`, `kwargs`, `options`, `subtask_type`, `immutable`, `chord_size`), decoded with
/// its key order kept: `json` of an untouched signature is the dict as it came, so a worker that
/// forwards it (the rest of a chain, a chord body) writes Python's bytes back.
///
/// The nested forms are read from `kwargs` as celery/canvas.py stores them: `chain` and `group`
/// in `kwargs.tasks`, `chord` in `kwargs.header` (a list or a group) and `kwargs.body`, `chunks`
/// in `kwargs.task`/`it`/`n`, `xmap`/`xstarmap` in `kwargs.task`/`it`.
public struct CanvasSignature: Sendable, Equatable {
    /// The structure a signature stands for (its `subtask_type`).
    public indirect enum Form: Sendable, Equatable {
        /// A plain task (`subtask_type` null).
        case task
        /// `chain`: its steps in order.
        case chain([CanvasSignature])
        /// `group`: its members in order.
        case group([CanvasSignature])
        /// `chord`: the header's members and the body.
        case chord(header: [CanvasSignature], body: CanvasSignature)
        /// `chunks`: `celery.chunks` over `task` (kept raw; Celery expands it into a group of starmaps).
        case chunks
        /// `xmap` / `xstarmap`: `celery.map` / `celery.starmap` over `task`.
        case map(star: Bool)
    }

    /// The dict as it came (keys in the sender's order).
    public internal(set) var raw: JSONObject
    public let task: String
    public let args: [JSONValue]
    public let kwargs: JSONObject
    public internal(set) var options: JSONObject
    public let subtaskType: String?
    public let immutable: Bool
    public let form: Form

    /// The signature as JSON, with any option changes made through `settingOption`.
    public var json: JSONValue { .object(raw) }

    /// `options.task_id`, when frozen.
    public var taskID: String? { options["task_id"]?.stringValue }

    /// The same signature with `options[key] = value` (appended if new, replaced in place if not).
    public func settingOption(_ key: String, _ value: JSONValue) -> CanvasSignature {
        var copy = self
        copy.options.set(value, forKey: key)
        copy.raw.set(.object(copy.options), forKey: "options")
        return copy
    }

    /// Decodes one signature dict; `path` names it in errors ("body[2].chain[1]").
    public static func decode(_ value: JSONValue, path: String) throws(WireError) -> CanvasSignature {
        guard case .object(let object) = value else {
            throw WireError(.wrongType, "\(path): expected object, got \(value.typeName)")
        }
        guard let taskValue = object["task"] else { throw WireError.missing("\(path).task") }
        guard case .string(let task) = taskValue else {
            throw WireError.wrongType("\(path).task", expected: "string", got: taskValue)
        }
        let args: [JSONValue]
        switch object["args"] ?? .null {
        case .null: args = []
        case .array(let a): args = a
        case let other: throw WireError.wrongType("\(path).args", expected: "array", got: other)
        }
        let kwargs = try optionalObject(object["kwargs"], "\(path).kwargs")
        let options = try optionalObject(object["options"], "\(path).options")
        let subtaskType: String?
        switch object["subtask_type"] ?? .null {
        case .null: subtaskType = nil
        case .string(let s): subtaskType = s
        case let other: throw WireError.wrongType("\(path).subtask_type", expected: "string or null", got: other)
        }
        let immutable: Bool
        switch object["immutable"] ?? .null {
        case .null: immutable = false
        case .bool(let b): immutable = b
        case let other: throw WireError.wrongType("\(path).immutable", expected: "bool", got: other)
        }
        let form = try decodeForm(subtaskType, kwargs: kwargs, path: path)
        return CanvasSignature(raw: object, task: task, args: args, kwargs: kwargs, options: options,
                               subtaskType: subtaskType, immutable: immutable, form: form)
    }

    /// An embed list (`callbacks`, `errbacks`, `chain`): null is none, one dict is a list of one
    /// (Celery's `maybe_list`), each element a signature.
    public static func decodeList(_ value: JSONValue, path: String) throws(WireError) -> [CanvasSignature] {
        switch value {
        case .null: return []
        case .object: return [try decode(value, path: path)]
        case .array(let items):
            var out: [CanvasSignature] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() { out.append(try decode(item, path: "\(path)[\(i)]")) }
            return out
        default:
            throw WireError.wrongType(path, expected: "array of signatures or null", got: value)
        }
    }

    private static func decodeForm(_ type: String?, kwargs: JSONObject, path: String) throws(WireError) -> Form {
        switch type {
        case nil: return .task
        case "chain": return .chain(try decodeList(kwargs["tasks"] ?? .null, path: "\(path).kwargs.tasks"))
        case "group": return .group(try decodeList(kwargs["tasks"] ?? .null, path: "\(path).kwargs.tasks"))
        case "chord":
            let headerValue = kwargs["header"] ?? .null
            let header: [CanvasSignature]
            if case .object = headerValue {
                let g = try decode(headerValue, path: "\(path).kwargs.header")
                guard case .group(let members) = g.form else {
                    throw WireError(.badValue, "\(path).kwargs.header: expected a group or a list of signatures")
                }
                header = members
            } else {
                header = try decodeList(headerValue, path: "\(path).kwargs.header")
            }
            guard let bodyValue = kwargs["body"] else { throw WireError.missing("\(path).kwargs.body") }
            return .chord(header: header, body: try decode(bodyValue, path: "\(path).kwargs.body"))
        case "chunks", "xmap", "xstarmap":
            guard let inner = kwargs["task"] else { throw WireError.missing("\(path).kwargs.task") }
            _ = try decode(inner, path: "\(path).kwargs.task")
            guard case .array? = kwargs["it"] else {
                throw WireError.wrongType("\(path).kwargs.it", expected: "array", got: kwargs["it"] ?? .null)
            }
            return type == "chunks" ? .chunks : .map(star: type == "xstarmap")
        case let other?:
            throw WireError(.badValue, "\(path).subtask_type: unknown canvas type \"\(other)\"")
        }
    }

    private static func optionalObject(_ value: JSONValue?, _ path: String) throws(WireError) -> JSONObject {
        switch value ?? .null {
        case .null: return [:]
        case .object(let o): return o
        case let other: throw WireError.wrongType(path, expected: "object", got: other)
        }
    }
}

/// The signatures of a message's `embed`, decoded: what follows the task.
public struct CanvasEmbed: Sendable, Equatable {
    public var callbacks: [CanvasSignature]
    public var errbacks: [CanvasSignature]
    /// `embed.chain` as sent: reversed, the next step last (celery/app/trace.py pops `chain[-1]`).
    public var chain: [CanvasSignature]
    /// `embed.chord`: the chord body, when this task is a chord header member.
    public var chord: CanvasSignature?

    public init(callbacks: [CanvasSignature] = [], errbacks: [CanvasSignature] = [],
                chain: [CanvasSignature] = [], chord: CanvasSignature? = nil) {
        self.callbacks = callbacks
        self.errbacks = errbacks
        self.chain = chain
        self.chord = chord
    }

    /// Decodes `body[2]`; a malformed signature throws naming it ("body[2].chain[1]: expected object").
    public static func decode(_ embed: TaskEmbed) throws(WireError) -> CanvasEmbed {
        let chord: CanvasSignature? = embed.chord.isNull ? nil : try CanvasSignature.decode(embed.chord, path: "body[2].chord")
        return CanvasEmbed(
            callbacks: try CanvasSignature.decodeList(embed.callbacks, path: "body[2].callbacks"),
            errbacks: try CanvasSignature.decodeList(embed.errbacks, path: "body[2].errbacks"),
            chain: try CanvasSignature.decodeList(embed.chain, path: "body[2].chain"),
            chord: chord)
    }
}
