/// One Celery monitoring event (`celery -E`, worker heartbeats), as the dict Celery builds.
///
/// Celery's dispatcher makes every event with `Event(type, hostname=…, utcoffset=…, pid=…,
/// clock=…, **fields)` and `Event` appends `timestamp` and `type` (celery/events/dispatcher.py,
/// celery/events/event.py), so the key order on the wire is: hostname, utcoffset, pid, clock, the
/// event's own fields in the order the sender passed them, timestamp, type. `json` reproduces that
/// order byte for byte (captures 80–86, 91). Pure: the caller supplies the time, pid and clock.
public struct CeleryEvent: Sendable, Equatable {
    /// `task-received`, `worker-heartbeat`, ...
    public var type: String
    /// What every event carries, from the dispatcher.
    public var stamp: Stamp
    /// The event's own fields, in Celery's order.
    public var fields: JSONObject

    /// The dispatcher's part of an event.
    public struct Stamp: Sendable, Equatable {
        /// The worker's node name (`celery@host`).
        public var hostname: String
        /// `celery.utils.time.utcoffset()`: hours west of UTC (0.0 on a UTC machine; a float on the wire).
        public var utcoffset: Double
        public var pid: Int
        /// The dispatcher's Lamport clock after `forward()`: one more per event sent.
        public var clock: Int
        /// `time.time()` when the event was made: seconds since the epoch, as a float (Python's
        /// clock has sub-microsecond digits, e.g. 1795922023.1082723, and they reach the wire).
        public var timestamp: Double

        public init(hostname: String, utcoffset: Double, pid: Int, clock: Int, timestamp: Double) {
            self.hostname = hostname; self.utcoffset = utcoffset; self.pid = pid; self.clock = clock
            self.timestamp = timestamp
        }
    }

    public init(type: String, stamp: Stamp, fields: JSONObject) {
        self.type = type
        self.stamp = stamp
        self.fields = fields
    }

    /// The group Celery routes by: the part of the type before the first dash (`task`, `worker`).
    public var group: String { String(type.prefix(while: { $0 != "-" })) }

    /// Writes `json` as `json.dumps` would, without building it (the live worker writes three
    /// events per task with -E).
    func write(into writer: inout JSONWriter) {
        writer.appendRaw("{\"hostname\": ")
        writer.writeString(stamp.hostname)
        writer.appendRaw(", \"utcoffset\": ")
        writer.write(.double(stamp.utcoffset))
        writer.appendRaw(", \"pid\": ")
        writer.writeInt(Int64(stamp.pid))
        writer.appendRaw(", \"clock\": ")
        writer.writeInt(Int64(stamp.clock))
        for (key, value) in fields where !Self.stampKeys.contains(key) {
            writer.appendRaw(", ")
            writer.writeString(key)
            writer.appendRaw(": ")
            writer.write(value)
        }
        writer.appendRaw(", \"timestamp\": ")
        writer.write(.double(stamp.timestamp))
        writer.appendRaw(", \"type\": ")
        writer.writeString(type)
        writer.appendRaw("}")
    }

    private static let stampKeys: Set<String> = ["hostname", "utcoffset", "pid", "clock", "timestamp", "type"]

    /// The event dict in Celery's key order.
    public var json: JSONObject {
        var object = JSONObject()
        object.reserveCapacity(6 + fields.count)
        object.appendUnchecked("hostname", .string(stamp.hostname))
        object.appendUnchecked("utcoffset", .double(stamp.utcoffset))
        object.appendUnchecked("pid", .int(Int64(stamp.pid)))
        object.appendUnchecked("clock", .int(Int64(stamp.clock)))
        for (key, value) in fields where !Self.stampKeys.contains(key) { object.appendUnchecked(key, value) }
        object.appendUnchecked("timestamp", .double(stamp.timestamp))
        object.appendUnchecked("type", .string(type))
        return object
    }
}
