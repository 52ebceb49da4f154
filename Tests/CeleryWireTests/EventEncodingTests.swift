import Testing
import CeleryWire

/// Celery's events (captures 80–86 and 91, a Celery 5.7 worker with -E): rebuilt from their
/// decoded fields with the builders, they encode to the captured PUBLISH payloads byte for byte,
/// on the captured channel.
@Suite("Celery events (captures 80–86, 91)")
struct EventEncodingTests {
    static let captures = [
        "80-event-worker.heartbeat-worker-heartbeat", "81-event-task.multi-task-received",
        "82-event-task.multi-task-started", "83-event-task.multi-task-succeeded",
        "84-event-task.multi-task-received", "85-event-task.multi-task-started",
        "86-event-task.multi-task-failed", "91-fanout-0.celeryev_worker.online",
    ]

    @Test("rebuilt events encode to the captured bytes", arguments: captures)
    func reencode(name: String) throws {
        let raw = try Captures.bytes(name + ".json")
        let envelope = try KombuEnvelope.decode(raw)
        let tag = try #require(envelope.deliveryTag)
        let decoded = try EventEnvelope.decode(raw)
        let rebuilt = try decoded.map(Self.rebuild)
        let bytes: [UInt8]
        if case .array = try envelope.jsonBody() {
            bytes = EventEnvelope.encodeBatch(rebuilt, group: "task", hostname: "celery@vm", deliveryTag: tag)
        } else {
            bytes = EventEnvelope.encode(try #require(rebuilt.first), deliveryTag: tag)
        }
        #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: raw, as: UTF8.self))
    }

    @Test("channel names", arguments: captures)
    func channel(name: String) throws {
        let pretty = try JSONValue.parse(Captures.bytes(name + ".decoded-pretty.json"))
        let expected = try #require(pretty["PUBLISH_channel"]?.stringValue)
        let event = try #require(try EventEnvelope.decode(Captures.bytes(name + ".json")).first)
        let type = try #require(event["type"]?.stringValue)
        let key = type.hasPrefix("task-") ? EventEnvelope.multiRoutingKey(group: "task") : EventEnvelope.routingKey(forType: type)
        #expect(EventEnvelope.channel(database: 0, routingKey: key) == expected)
    }

    @Test("key order: dispatcher fields, the event's own, timestamp, type")
    func keyOrder() {
        let stamp = CeleryEvent.Stamp(hostname: "lovage@h", utcoffset: 0, pid: 7, clock: 3, timestamp: 1795922023.106416)
        let event = CeleryEvent.taskRejected(stamp, uuid: "u", requeue: true)
        #expect(event.json.keys == ["hostname", "utcoffset", "pid", "clock", "uuid", "requeue", "timestamp", "type"])
        #expect(String(decoding: JSONValue.object(event.json).serialized(), as: UTF8.self)
                == #"{"hostname": "lovage@h", "utcoffset": 0.0, "pid": 7, "clock": 3, "uuid": "u", "requeue": true, "timestamp": 1795922023.106416, "type": "task-rejected"}"#)
        let revoked = CeleryEvent.taskRevoked(stamp, uuid: "u", terminated: false, signum: nil, expired: true)
        #expect(revoked.fields.keys == ["uuid", "terminated", "signum", "expired"])
        #expect(revoked.group == "task")
    }

    /// The builder call Celery's sender makes for this event, with the captured values.
    static func rebuild(_ event: JSONObject) throws -> CeleryEvent {
        let stamp = CeleryEvent.Stamp(
            hostname: try #require(event["hostname"]?.stringValue), utcoffset: try #require(event["utcoffset"]?.doubleValue),
            pid: Int(try #require(event["pid"]?.intValue)), clock: Int(try #require(event["clock"]?.intValue)),
            timestamp: try #require(event["timestamp"]?.doubleValue))
        let uuid = try #require(event["uuid"]?.stringValue ?? "")
        switch try #require(event["type"]?.stringValue) {
        case "task-received":
            return .taskReceived(stamp, uuid: uuid, name: try #require(event["name"]?.stringValue),
                                 argsrepr: try #require(event["args"]?.stringValue),
                                 kwargsrepr: try #require(event["kwargs"]?.stringValue),
                                 rootID: event["root_id"]?.stringValue, parentID: event["parent_id"]?.stringValue,
                                 retries: Int(try #require(event["retries"]?.intValue)),
                                 eta: event["eta"]?.stringValue, expires: event["expires"]?.stringValue)
        case "task-started":
            return .taskStarted(stamp, uuid: uuid)
        case "task-succeeded":
            return .taskSucceeded(stamp, uuid: uuid, resultRepr: try #require(event["result"]?.stringValue),
                                  runtimeSeconds: try #require(event["runtime"]?.doubleValue))
        case "task-failed":
            return .taskFailed(stamp, uuid: uuid, exceptionRepr: try #require(event["exception"]?.stringValue),
                               traceback: try #require(event["traceback"]?.stringValue))
        case let type:
            let kind = try #require(CeleryEvent.WorkerEventKind(rawValue: type))
            return .worker(kind, stamp, freqSeconds: try #require(event["freq"]?.doubleValue),
                           active: Int(try #require(event["active"]?.intValue)),
                           processed: Int(try #require(event["processed"]?.intValue)),
                           loadavg: try #require(event["loadavg"]?.arrayValue).compactMap(\.doubleValue),
                           software: CeleryEvent.Software(ident: try #require(event["sw_ident"]?.stringValue),
                                                          version: try #require(event["sw_ver"]?.stringValue),
                                                          system: try #require(event["sw_sys"]?.stringValue)))
        }
    }
}
