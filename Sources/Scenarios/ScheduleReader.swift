import CeleryWire
import Schedules
import WorkerCore
import Yams

/// A schedule file's content, and a scenario's `schedule:`: Celery's `beat_schedule` with the app
/// settings beat reads (`timezone`, `beat_cron_starting_deadline`).
public struct ScheduleSpec: Sendable, Equatable {
    public var zone: ScheduleZone
    /// Celery's `beat_cron_starting_deadline`: a missed crontab run older than this is not sent.
    public var cronStartingDeadlineMicros: Int64?
    public var entries: [BeatEntry]

    public init(zone: ScheduleZone = .utc, cronStartingDeadlineMicros: Int64? = nil, entries: [BeatEntry] = []) {
        self.zone = zone; self.cronStartingDeadlineMicros = cronStartingDeadlineMicros; self.entries = entries
    }

    public static let topLevelKeys = ["timezone", "enable_utc", "beat_cron_starting_deadline", "entries"]
    static let entryKeys = ["task", "schedule", "args", "kwargs", "options"]
    static let scheduleKeys = ["every", "relative", "crontab"]
    static let crontabKeys = CrontabField.Kind.allCases.map(\.rawValue)
    static let optionKeys = ["queue", "priority", "expires", "countdown", "headers"]
}

/// Reads a `ScheduleSpec` out of YAML (JSON is YAML too), each problem at its line and key path:
/// a malformed crontab names the entry and field, an interval of zero or an unknown timezone is
/// refused, as is an unknown key (with the nearest known one).
extension ScenarioBuilder {
    func readSchedule(_ node: Node, _ path: String) -> ScheduleSpec? {
        guard let top = reader.fields(node, path, allowed: ScheduleSpec.topLevelKeys,
                                      expected: "a mapping with entries (and timezone, beat_cron_starting_deadline)") else { return nil }
        return readSchedule(top)
    }

    /// The schedule file's keys out of a mapping already checked (a scenario's `schedule:` allows
    /// its simulation keys beside them and reads those itself).
    func readSchedule(_ top: Fields) -> ScheduleSpec {
        var spec = ScheduleSpec()
        if let zoneNode = top["timezone"], let name = reader.string(zoneNode, top.path("timezone"), expected: "an IANA timezone name") {
            do { spec.zone = try ScheduleZone(name) } catch {
                reader.fail(zoneNode, top.path("timezone"), expected: "an IANA timezone name such as UTC or Europe/London",
                            found: quoted(name), message: error.description)
            }
        }
        if let utcNode = top["enable_utc"], let utc = reader.bool(utcNode, top.path("enable_utc")), !utc, top["timezone"] == nil {
            reader.fail(utcNode, top.path("enable_utc"), expected: "true, or a timezone",
                        found: "false without a timezone",
                        message: "enable_utc: false without a timezone would use this host's local zone, which differs between hosts; name the zone in timezone")
        }
        if let deadline = top["beat_cron_starting_deadline"],
           let span = reader.duration(deadline, top.path("beat_cron_starting_deadline"), positive: true) {
            spec.cronStartingDeadlineMicros = span.microseconds
        }
        guard let entriesNode = reader.required(top, "entries", what: "a mapping of entry name to its task and schedule") else { return spec }
        guard case let .mapping(mapping) = entriesNode else {
            reader.fail(entriesNode, top.path("entries"), expected: "a mapping of entry name to its task and schedule", entriesNode)
            return spec
        }
        // A name written twice is refused by the YAML composer ("duplicate key"), before this.
        for (keyNode, value) in mapping {
            guard let name = reader.string(keyNode, top.path("entries"), expected: "an entry name") else { continue }
            let entryPath = KeyPathText.child(top.path("entries"), name)
            if let entry = readScheduleEntry(value, name: name, entryPath) { spec.entries.append(entry) }
        }
        if spec.entries.isEmpty && reader.errors.isEmpty {
            reader.fail(entriesNode, top.path("entries"), expected: "at least one entry", found: "none")
        }
        return spec
    }

    func readScheduleEntry(_ node: Node, name: String, _ path: String) -> BeatEntry? {
        guard let fields = reader.fields(node, path, allowed: ScheduleSpec.entryKeys,
                                         expected: "a mapping with task and schedule (and args, kwargs, options)") else { return nil }
        let task = reader.required(fields, "task", what: "the registered task name").flatMap { reader.string($0, fields.path("task")) }
        let schedule = reader.required(fields, "schedule", what: "every: 30s, or crontab: \"*/5 * * * *\" or its fields")
            .flatMap { readEntrySchedule($0, fields.path("schedule")) }
        var args: [JSONValue] = []
        if let node = fields["args"], let list = reader.list(node, fields.path("args"), expected: "a list of arguments") {
            args = list.compactMap { jsonValue($0, fields.path("args")) }
        }
        var kwargs = JSONObject()
        if let node = fields["kwargs"], case .object(let object)? = jsonObject(node, fields.path("kwargs")) { kwargs = object }
        var options = BeatSendOptions()
        if let node = fields["options"] { options = readSendOptions(node, fields.path("options")) ?? options }
        guard let task, let schedule else { return nil }
        return BeatEntry(name: name, task: task, schedule: schedule, args: args, kwargs: kwargs, options: options)
    }

    func readEntrySchedule(_ node: Node, _ path: String) -> Schedule? {
        guard let fields = reader.fields(node, path, allowed: ScheduleSpec.scheduleKeys,
                                         expected: "every: 30s, or crontab: \"*/5 * * * *\" or its fields") else { return nil }
        switch (fields["every"], fields["crontab"]) {
        case (nil, nil):
            reader.fail(node, path, expected: "every or crontab", found: "neither", message: "a schedule needs every: (an interval) or crontab:")
            return nil
        case (.some, .some):
            reader.fail(node, path, expected: "every or crontab", found: "both", message: "a schedule is every: or crontab:, not both")
            return nil
        case (let every?, nil):
            guard let span = reader.duration(every, fields.path("every")) else { return nil }
            guard span.microseconds > 0 else {
                reader.fail(every, fields.path("every"), expected: "a positive interval like 30s or 5m", found: "0",
                            message: "an interval of zero would send the task on every tick; give a positive interval like 30s")
                return nil
            }
            let relative = fields["relative"].flatMap { reader.bool($0, fields.path("relative")) } ?? false
            return .every(IntervalSchedule(everyMicros: span.microseconds, relative: relative))
        case (nil, let crontab?):
            if fields["relative"] != nil {
                reader.fail(fields.entry("relative")?.keyNode, fields.path("relative"), expected: "relative only with every",
                            found: "relative with crontab", message: "relative applies to every: intervals, not to crontabs")
            }
            return readCrontab(crontab, fields.path("crontab"))
        }
    }

    func readCrontab(_ node: Node, _ path: String) -> Schedule? {
        do {
            if let text = node.scalarText, node.tagName != .null {
                return .crontab(try CrontabSchedule(expression: text))
            }
            guard let fields = reader.fields(node, path, allowed: ScheduleSpec.crontabKeys,
                                             expected: "a crontab string like \"*/5 * * * *\", or a mapping of its fields") else { return nil }
            func field(_ kind: CrontabField.Kind) -> String {
                fields[kind.rawValue].flatMap { reader.string($0, fields.path(kind.rawValue), expected: "a crontab field like */5 or 1-5") } ?? "*"
            }
            return .crontab(try CrontabSchedule(minute: field(.minute), hour: field(.hour), dayOfWeek: field(.dayOfWeek),
                                                dayOfMonth: field(.dayOfMonth), monthOfYear: field(.monthOfYear)))
        } catch {
            let at: Node? = { if case .mapping = node { return Reader.value(node, key: error.field.rawValue) ?? node }; return node }()
            reader.fail(at, KeyPathText.child(path, error.field.rawValue), expected: "a valid crontab field",
                        found: quoted(error.spec), message: "crontab \(error.description)")
            return nil
        }
    }

    func readSendOptions(_ node: Node, _ path: String) -> BeatSendOptions? {
        guard let fields = reader.fields(node, path, allowed: ScheduleSpec.optionKeys,
                                         expected: "a mapping of queue, priority, expires, countdown, headers") else { return nil }
        var options = BeatSendOptions()
        options.queue = fields["queue"].flatMap { reader.string($0, fields.path("queue"), expected: "a queue name") }
        options.priority = fields["priority"].flatMap { reader.int($0, fields.path("priority"), in: 0...9, expected: "a priority 0-9") }
        options.expiresMicros = fields["expires"].flatMap { reader.duration($0, fields.path("expires"), positive: true) }?.microseconds
        options.countdownMicros = fields["countdown"].flatMap { reader.duration($0, fields.path("countdown")) }?.microseconds
        if let node = fields["headers"], case .object(let headers)? = jsonObject(node, fields.path("headers")) { options.headers = headers }
        return options
    }

    func jsonObject(_ node: Node, _ path: String) -> JSONValue? {
        guard case .mapping = node else {
            reader.fail(node, path, expected: "a mapping", node)
            return nil
        }
        return jsonValue(node, path)
    }

    /// YAML to JSON as Celery would receive it from a Python dict: scalars by their resolved tag,
    /// mappings in file order with string keys.
    func jsonValue(_ node: Node, _ path: String) -> JSONValue? {
        switch node {
        case .scalar(let scalar):
            switch node.tagName {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool)
            case .int: return node.int.map { .int(Int64($0)) } ?? .string(scalar.string)
            case .float:
                guard let value = node.float, value.isFinite else {
                    reader.fail(node, path, expected: "a finite number (JSON has no NaN or infinity)", node)
                    return nil
                }
                return .double(value)
            default: return .string(scalar.string)
            }
        case .sequence(let items):
            return .array(items.enumerated().compactMap { jsonValue($0.element, KeyPathText.index(path, $0.offset)) })
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                guard let name = key.scalarText, let converted = jsonValue(value, KeyPathText.child(path, name)) else {
                    if key.scalarText == nil { reader.fail(key, path, expected: "a string key", key) }
                    continue
                }
                object.set(converted, forKey: name)
            }
            return .object(object)
        case .alias:
            reader.fail(node, path, expected: "a value (aliases are not followed here)", node)
            return nil
        }
    }
}

extension Reader {
    /// The value node of `key` in a mapping node, for placing an error on it.
    static func value(_ node: Node, key: String) -> Node? {
        guard case let .mapping(mapping) = node else { return nil }
        return mapping.first { $0.key.scalarText == key }?.value
    }
}
