import CeleryWire

/// A control request whose arguments Celery's handler would refuse: `celeryErrorText` is the text
/// Celery's mailbox puts in `{"error": ...}` (kombu/pidbox.py `Node.dispatch` replies
/// `{'error': repr(exc)}`), for example the TypeError of capture 29-control-wrong-arguments.
public struct ControlArgumentError: Error, Sendable, Equatable {
    public var celeryErrorText: String
    public init(celeryErrorText: String) { self.celeryErrorText = celeryErrorText }
}

/// The mapping between a pidbox request's `method` + `arguments` and `WorkerControl`, both ways,
/// with the argument names and defaults of celery/worker/control.py.
///
/// Decoding returns nil for a method that is not a core control (ping, the inspect commands,
/// `hello`, ...): the driver answers those itself from the core's read-only queries. Encoding gives
/// the body Celery's own client sends (celery/bin/control.py builds `arguments` from the command
/// line in the order of the handler's `args`), so a round trip of a captured request is exact.
extension WorkerControl {
    /// The pidbox methods that decode to a `WorkerControl`, in control.py's order.
    public static let methods: [String] = [
        "revoke", "terminate", "rate_limit", "time_limit", "pool_grow", "pool_shrink", "autoscale",
        "add_consumer", "cancel_consumer", "enable_events", "disable_events", "pool_restart", "shutdown",
    ]

    /// Decodes a control request. Nil: not a core control. Throws for missing or ill-typed
    /// arguments, with the text Celery replies.
    ///
    /// - `revoke(task_id, terminate=False, signal=None)`: `task_id` a string or a list of strings
    ///   (the CLI sends a list, the Python API what it was given); duplicates dropped, first order kept
    ///   (Celery makes a set).
    /// - `terminate(signal, task_id)`: `.revoke(terminate: true)`.
    /// - `time_limit(task_name=None, hard=None, soft=None)`: a missing task name is Celery's
    ///   "unknown task" (the lookup of None fails), thrown here because the enum needs a name.
    /// - `autoscale(max=None, min=None)`: Celery keeps the current bound for a missing one; the enum
    ///   carries both, so both are required here (a missing one is a TypeError text).
    public init?(method: String, arguments: JSONObject) throws(ControlArgumentError) {
        let args = Arguments(function: method, object: arguments)
        switch method {
        case "revoke":
            try args.require("task_id")
            let ids = try args.taskIDs("task_id")
            let terminate = args.truthy("terminate")
            let signal = try args.optionalString("signal")
            self = .revoke(taskIDs: ids, terminate: terminate, signal: signal)
        case "terminate":
            try args.require("signal", "task_id")
            let signal = try args.optionalString("signal")
            let ids = try args.taskIDs("task_id")
            self = .revoke(taskIDs: ids, terminate: true, signal: signal)
        case "rate_limit":
            try args.require("task_name", "rate_limit")
            self = .rateLimit(taskName: try args.string("task_name"), rate: try args.rateText("rate_limit"))
        case "time_limit":
            guard let name = try args.optionalString("task_name") else {
                throw ControlArgumentError(celeryErrorText: "unknown task")
            }
            self = .timeLimit(taskName: name, soft: try args.seconds("soft"), hard: try args.seconds("hard"))
        case "pool_grow":
            self = .poolGrow(try args.int("n", default: 1))
        case "pool_shrink":
            self = .poolShrink(try args.int("n", default: 1))
        case "autoscale":
            try args.require("max", "min")
            self = .autoscale(max: try args.int("max", default: 0), min: try args.int("min", default: 0))
        case "add_consumer":
            try args.require("queue")
            self = .addConsumer(queue: try args.string("queue"))
        case "cancel_consumer":
            try args.require("queue")
            self = .cancelConsumer(queue: try args.string("queue"))
        case "enable_events":
            self = .enableEvents
        case "disable_events":
            self = .disableEvents
        case "pool_restart":
            // `modules`, `reload` and `reloader` name Python modules to reimport: Lovage's children
            // run registered bodies, so a restart replaces them and the names are accepted unused.
            self = .poolRestart
        case "shutdown":
            self = .shutdown
        default:
            return nil
        }
    }

    /// The pidbox method Celery's client sends for this control. `learnRevoked` comes from Mingle's
    /// `hello` (whose `revoked` argument carries the ids); `hello` itself is answered by the driver,
    /// so it does not decode back to `learnRevoked`.
    public var method: String {
        switch self {
        case .revoke(_, let terminate, let signal): return terminate && signal != nil ? "terminate" : "revoke"
        case .rateLimit: return "rate_limit"
        case .timeLimit: return "time_limit"
        case .poolGrow: return "pool_grow"
        case .poolShrink: return "pool_shrink"
        case .autoscale: return "autoscale"
        case .addConsumer: return "add_consumer"
        case .cancelConsumer: return "cancel_consumer"
        case .enableEvents: return "enable_events"
        case .disableEvents: return "disable_events"
        case .learnRevoked: return "hello"
        case .poolRestart: return "pool_restart"
        case .shutdown: return "shutdown"
        }
    }

    /// The `arguments` Celery's CLI sends for this control, in its key order (captures 07, 19, 21-26,
    /// 71): `celery control revoke ID...` → `{"task_id": [ids]}`, `celery control terminate SIG ID...`
    /// → `{"signal": SIG, "task_id": [ids]}`, time limits as floats, nil ones left out.
    public var arguments: JSONObject {
        var object = JSONObject()
        switch self {
        case .revoke(let ids, let terminate, let signal):
            let list = JSONValue.array(ids.map { .string($0) })
            if terminate, let signal {
                object.set(.string(signal), forKey: "signal")
                object.set(list, forKey: "task_id")
            } else {
                object.set(list, forKey: "task_id")
                if terminate { object.set(.bool(true), forKey: "terminate") }
                if let signal { object.set(.string(signal), forKey: "signal") }
            }
        case .rateLimit(let name, let rate):
            object.set(.string(name), forKey: "task_name")
            object.set(.string(rate), forKey: "rate_limit")
        case .timeLimit(let name, let soft, let hard):
            object.set(.string(name), forKey: "task_name")
            if let soft { object.set(.double(soft), forKey: "soft") }
            if let hard { object.set(.double(hard), forKey: "hard") }
        case .poolGrow(let n), .poolShrink(let n):
            object.set(.int(Int64(n)), forKey: "n")
        case .autoscale(let max, let min):
            object.set(.int(Int64(max)), forKey: "max")
            object.set(.int(Int64(min)), forKey: "min")
        case .addConsumer(let queue), .cancelConsumer(let queue):
            object.set(.string(queue), forKey: "queue")
        case .learnRevoked(let ids):
            object.set(.array(ids.map { .string($0) }), forKey: "revoked")
        case .enableEvents, .disableEvents, .poolRestart, .shutdown:
            break
        }
        return object
    }
}

/// Reading a handler's keyword arguments the way Python calls `handler(state, **arguments)`.
private struct Arguments {
    let function: String
    let object: JSONObject

    /// Python's TypeError for missing positional parameters: "f() missing 2 required positional
    /// arguments: 'a' and 'b'" (three or more: "'a', 'b', and 'c'").
    func require(_ names: String...) throws(ControlArgumentError) {
        let missing = names.filter { object[$0] == nil }
        guard !missing.isEmpty else { return }
        let quoted = missing.map { "'\($0)'" }
        let list: String
        switch quoted.count {
        case 1: list = quoted[0]
        case 2: list = "\(quoted[0]) and \(quoted[1])"
        default: list = quoted.dropLast().joined(separator: ", ") + ", and " + quoted.last!
        }
        let noun = missing.count == 1 ? "argument" : "arguments"
        let message = "\(function)() missing \(missing.count) required positional \(noun): \(list)"
        throw ControlArgumentError(celeryErrorText: "TypeError(\(PythonRepr.string(message)))")
    }

    func typeError(_ message: String) -> ControlArgumentError {
        ControlArgumentError(celeryErrorText: "TypeError(\(PythonRepr.string(message)))")
    }

    func string(_ name: String) throws(ControlArgumentError) -> String {
        guard let value = try optionalString(name) else { throw typeError("\(name) must be a string, not None") }
        return value
    }

    func optionalString(_ name: String) throws(ControlArgumentError) -> String? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw typeError("\(name) must be a string, not \(value.pythonTypeName)") }
        return text
    }

    /// Python truthiness of an optional flag (`terminate=False`).
    func truthy(_ name: String) -> Bool {
        switch object[name] {
        case nil, .null?: return false
        case .bool(let flag)?: return flag
        case .int(let number)?: return number != 0
        case .double(let number)?: return number != 0
        case .string(let text)?: return !text.isEmpty
        case .array(let items)?: return !items.isEmpty
        case .object(let items)?: return !items.isEmpty
        }
    }

    /// `maybe_list(task_id)`: one id or a list of ids, as a set in first-seen order.
    func taskIDs(_ name: String) throws(ControlArgumentError) -> [String] {
        var raw: [String] = []
        switch object[name] {
        case nil, .null?: break
        case .string(let id)?: raw = [id]
        case .array(let items)?:
            for item in items {
                guard let id = item.stringValue else { throw typeError("\(name) must be a string or a list of strings") }
                raw.append(id)
            }
        case let value?: throw typeError("\(name) must be a string or a list of strings, not \(value.pythonTypeName)")
        }
        var seen: [String] = []
        for id in raw where !seen.contains(id) { seen.append(id) }
        return seen
    }

    /// A rate limit as given: Celery's `rate()` takes a string, or a number as is; None means none.
    func rateText(_ name: String) throws(ControlArgumentError) -> String {
        switch object[name] {
        case nil, .null?: return ""
        case .string(let text)?: return text
        case .int(let number)?: return String(number)
        case .double(let number)?: return String(number)
        case let value?: throw typeError("rate_limit must be a string, not \(value.pythonTypeName)")
        }
    }

    /// A time limit in seconds (the CLI sends floats; the Python API may send ints or None).
    func seconds(_ name: String) throws(ControlArgumentError) -> Double? {
        guard let value = object[name], !value.isNull else { return nil }
        guard case .bool = value else {
            if let number = value.doubleValue { return number }
            throw typeError("must be real number, not \(value.pythonTypeName)")
        }
        return value.boolValue! ? 1 : 0
    }

    /// An integer argument (`n`, `max`, `min`); an integral float is taken as Python's range would not,
    /// but the CLI never sends one.
    func int(_ name: String, default fallback: Int) throws(ControlArgumentError) -> Int {
        guard let value = object[name], !value.isNull else { return fallback }
        switch value {
        case .int(let number): return Int(clamping: number)
        case .double(let number) where number.rounded() == number && abs(number) < 1e15: return Int(number)
        default: throw typeError("'\(value.pythonTypeName)' object cannot be interpreted as an integer")
        }
    }
}

extension JSONValue {
    /// The Python type a JSON value decodes to, for TypeError texts.
    var pythonTypeName: String {
        switch self {
        case .null: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        }
    }
}

/// Python's `repr()` of a str, as Celery's error texts embed them (`repr(exc)` of an exception whose
/// message itself quotes a value): single quotes unless the text has a single quote and no double.
enum PythonRepr {
    static func string(_ text: String) -> String {
        let useDouble = text.contains("'") && !text.contains("\"")
        let quote: Character = useDouble ? "\"" : "'"
        var result = String(quote)
        for character in text {
            switch character {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case quote: result += "\\" + String(quote)
            default: result.append(character)
            }
        }
        result.append(quote)
        return result
    }
}
