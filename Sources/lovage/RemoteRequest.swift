import ArgumentParser
import CeleryWire

/// Turns `lovage inspect|control COMMAND ARGS...` into the request's method and arguments exactly
/// as Celery's CLI builds them (celery/bin/control.py, celery/app/control.py; checked against the
/// captured bodies in Tests/Fixtures/celery-wire/pidbox: time_limit sends floats, revoke a list).
enum RemoteRequest {
    static let inspectCommands = ["ping", "stats", "active", "reserved", "scheduled", "revoked", "registered",
                                  "active_queues", "conf", "query_task", "report", "clock", "memsample", "memdump"]
    static let controlCommands = ["revoke", "terminate", "rate_limit", "time_limit", "pool_grow", "pool_shrink",
                                  "autoscale", "add_consumer", "cancel_consumer", "enable_events", "disable_events",
                                  "heartbeat", "pool_restart", "shutdown"]

    static func inspect(_ command: String, _ args: [String]) throws -> JSONObject {
        switch command {
        case "registered": return ["taskinfoitems": .array(args.map(JSONValue.string))]
        case "query_task": return ["ids": .array(args.map(JSONValue.string))]
        case _ where inspectCommands.contains(command):
            guard args.isEmpty else { throw ValidationError("inspect \(command) takes no arguments") }
            return [:]
        default:
            throw ValidationError("unknown inspect command \(command); valid: \(inspectCommands.joined(separator: ", "))")
        }
    }

    static func control(_ command: String, _ args: [String]) throws -> JSONObject {
        func need(_ range: ClosedRange<Int>, _ usage: String) throws {
            guard range.contains(args.count) else { throw ValidationError("usage: lovage control \(command) \(usage)") }
        }
        func int(_ text: String) throws -> JSONValue {
            guard let n = Int64(text) else { throw ValidationError("\(command): not an integer: \(text)") }
            return .int(n)
        }
        func float(_ text: String) throws -> JSONValue {
            guard let n = Double(text) else { throw ValidationError("\(command): not a number: \(text)") }
            return .double(n)
        }
        switch command {
        case "revoke":
            try need(1...Int.max, "TASK_ID...")
            return ["task_id": .array(args.map(JSONValue.string))]
        case "terminate":
            try need(2...Int.max, "SIGNAL TASK_ID...")
            return ["signal": .string(args[0]), "task_id": .array(args.dropFirst().map(JSONValue.string))]
        case "rate_limit":
            try need(2...2, "TASK_NAME RATE")
            return ["task_name": .string(args[0]), "rate_limit": .string(args[1])]
        case "time_limit":
            try need(2...3, "TASK_NAME SOFT [HARD]")
            return ["task_name": .string(args[0]), "soft": try float(args[1]),
                    "hard": args.count > 2 ? try float(args[2]) : .null]
        case "pool_grow", "pool_shrink":
            try need(0...1, "[N]")
            return ["n": args.isEmpty ? .int(1) : try int(args[0])]
        case "autoscale":
            try need(2...2, "MAX MIN")
            return ["max": try int(args[0]), "min": try int(args[1])]
        case "add_consumer":
            try need(1...4, "QUEUE [EXCHANGE [EXCHANGE_TYPE [ROUTING_KEY]]]")
            var object: JSONObject = ["queue": .string(args[0])]
            if args.count > 1 { object.set(.string(args[1]), forKey: "exchange") }
            if args.count > 2 { object.set(.string(args[2]), forKey: "exchange_type") }
            if args.count > 3 { object.set(.string(args[3]), forKey: "routing_key") }
            return object
        case "cancel_consumer":
            try need(1...1, "QUEUE")
            return ["queue": .string(args[0])]
        case "enable_events", "disable_events", "heartbeat", "pool_restart", "shutdown":
            try need(0...0, "")
            return [:]
        default:
            throw ValidationError("unknown control command \(command); valid: \(controlCommands.joined(separator: ", "))")
        }
    }
}
