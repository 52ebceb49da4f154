import CeleryWire

/// The JSON lines of a recording, one object per line with a `kind`.
///
/// Written with keys in a fixed order and doubles that are always valid JSON (a NaN or infinity,
/// which Python's `json.dumps` would write bare, becomes `null`), so `zcat recording.jsonl.gz | jq`
/// and any JSON-lines reader take them. `docs/recording.md` documents every kind.
public enum RecordingLines {
    public static let formatVersion = 1

    static func number(_ value: Double) -> JSONValue { value.isFinite ? .double(value) : .null }

    /// Replaces every non-finite double inside `value` with null.
    public static func finite(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let d): return d.isFinite ? value : .null
        case .array(let items): return .array(items.map(finite))
        case .object(let object): return .object(JSONObject(object.map { ($0.key, finite($0.value)) }))
        default: return value
        }
    }

    public static func header(_ h: RecordingHeader) -> JSONObject {
        [
            "kind": "header", "version": .int(Int64(h.version)), "lovage": .string(h.lovage),
            "started_at": number(h.startedAt), "broker": .string(h.broker), "database": .int(Int64(h.database)),
            "queues": .array(h.queues.map { .string($0) }), "priority_steps": .array(h.prioritySteps.map { .int(Int64($0)) }),
            "sample_interval_ms": number(h.sampleIntervalMs), "keyspace_events": .bool(h.keyspaceEvents),
            "keep_args": .bool(h.keepArgs), "events_enabled_by_recorder": .array(h.eventsEnabledByRecorder.map { .string($0) }),
        ]
    }

    /// An event as the worker sent it (after `EventPrivacy`), and when the recorder got it.
    public static func event(receivedAt: Double, fields: JSONObject) -> JSONObject {
        ["kind": "event", "received_at": number(receivedAt), "event": finite(.object(fields))]
    }

    /// Queue lengths: per queue, the length of each priority step's list in the header's order.
    public static func lengths(_ sample: QueueLengthSample, steps: [Int]) -> JSONObject {
        var queues = JSONObject()
        for queue in Array(Set(sample.lengths.map(\.queue))).sorted() {
            let mine = sample.lengths.filter { $0.queue == queue }
            queues.set(.array(steps.map { step in .int(Int64(mine.first { $0.step == step }?.length ?? 0)) }), forKey: queue)
        }
        var line: JSONObject = ["kind": "lengths", "at": number(sample.at), "queues": .object(queues)]
        if let unacked = sample.unacked { line.set(.int(Int64(unacked)), forKey: "unacked") }
        return line
    }

    public static func push(_ push: QueuePush) -> JSONObject {
        ["kind": "push", "at": number(push.at), "queue": .string(push.queue), "step": .int(Int64(push.step)), "op": .string(push.op)]
    }

    public static func fleet(_ s: FleetSnapshot) -> JSONObject {
        [
            "kind": "fleet", "at": number(s.at), "node": .string(s.node),
            "stats": s.stats.map { finite(.object($0)) } ?? .null,
            "active_queues": .array(s.activeQueues.map { .string($0) }),
            "conf": s.conf.map { finite(.object($0)) } ?? .null,
            "registered": .array(s.registered.map { .string($0) }),
            "reserved": .array(s.reserved.map { task in
                .object(["id": .string(task.id), "name": .string(task.name),
                         "queue": task.queue.map { .string($0) } ?? .null,
                         "priority": task.priority.map { .int(Int64($0)) } ?? .null])
            }),
        ]
    }

    public static func gap(_ g: RecordingGap) -> JSONObject {
        ["kind": "gap", "from": number(g.from), "to": number(g.to), "reason": .string(g.reason)]
    }

    public static func note(_ n: RecordingNote) -> JSONObject {
        ["kind": "note", "at": number(n.at), "text": .string(n.text)]
    }

    public static func footer(_ f: RecordingFooter) -> JSONObject {
        [
            "kind": "footer", "ended_at": number(f.endedAt), "reason": .string(f.reason), "events": .int(Int64(f.events)),
            "tasks": .int(Int64(f.tasks)), "redis_commands": .int(Int64(f.redisCommands)),
            "commands_per_second": number(f.commandsPerSecond),
        ]
    }
}
