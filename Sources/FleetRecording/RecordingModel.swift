import CeleryWire

/// A recording of a Celery fleet in decoded form: what `RecordingReader` makes of the file
/// `lovage record` writes, and what `Calibration` turns into a scenario.
public struct RecordingError: Error, CustomStringConvertible, Sendable { public let description: String; public init(_ d: String) { description = d } }
public struct Recording: Sendable {
    public var header: RecordingHeader
    public var events: [RecordedEvent] = []
    public var lengthSamples: [QueueLengthSample] = []
    public var pushes: [QueuePush] = []
    public var fleet: [FleetSnapshot] = []
    public var gaps: [RecordingGap] = []
    public var notes: [RecordingNote] = []
    public var footer: RecordingFooter? = nil
    public var problems: [String] = []
    public init(header: RecordingHeader) { self.header = header }
}
public struct RecordingHeader: Sendable {
    public var version = 1; public var lovage = ""; public var startedAt: Double; public var broker = ""; public var database = 0
    public var queues: [String] = []; public var prioritySteps: [Int] = [0, 3, 6, 9]; public var sampleIntervalMs = 10.0
    public var keyspaceEvents = false; public var keepArgs = false; public var eventsEnabledByRecorder: [String] = []
    public init(startedAt: Double) { self.startedAt = startedAt }
}
public struct RecordedEvent: Sendable {
    public var receivedAt: Double; public var type: String; public var hostname: String; public var timestamp: Double
    public var utcoffset: Double; public var clock: Int; public var pid: Int; public var fields: JSONObject
    public init(receivedAt: Double, type: String, hostname: String, timestamp: Double, utcoffset: Double, clock: Int, pid: Int, fields: JSONObject) {
        self.receivedAt = receivedAt; self.type = type; self.hostname = hostname; self.timestamp = timestamp
        self.utcoffset = utcoffset; self.clock = clock; self.pid = pid; self.fields = fields
    }
}
public struct QueueLength: Sendable { public var queue: String; public var step: Int; public var length: Int
    public init(queue: String, step: Int, length: Int) { self.queue = queue; self.step = step; self.length = length } }
public struct QueueLengthSample: Sendable { public var at: Double; public var lengths: [QueueLength]; public var unacked: Int?
    public init(at: Double, lengths: [QueueLength], unacked: Int?) { self.at = at; self.lengths = lengths; self.unacked = unacked } }
public struct QueuePush: Sendable { public var at: Double; public var queue: String; public var step: Int; public var op: String
    public init(at: Double, queue: String, step: Int, op: String) { self.at = at; self.queue = queue; self.step = step; self.op = op } }
public struct ReservedTask: Sendable { public var id: String; public var name: String; public var queue: String?; public var priority: Int?
    public init(id: String, name: String, queue: String?, priority: Int?) { self.id = id; self.name = name; self.queue = queue; self.priority = priority } }
public struct FleetSnapshot: Sendable {
    public var at: Double; public var node: String; public var stats: JSONObject?; public var activeQueues: [String]
    public var conf: JSONObject?; public var registered: [String]; public var reserved: [ReservedTask]
    public init(at: Double, node: String, stats: JSONObject?, activeQueues: [String], conf: JSONObject?, registered: [String], reserved: [ReservedTask]) {
        self.at = at; self.node = node; self.stats = stats; self.activeQueues = activeQueues; self.conf = conf
        self.registered = registered; self.reserved = reserved
    }
}
public struct RecordingGap: Sendable { public var from: Double; public var to: Double; public var reason: String
    public init(from: Double, to: Double, reason: String) { self.from = from; self.to = to; self.reason = reason } }
public struct RecordingNote: Sendable { public var at: Double; public var text: String
    public init(at: Double, text: String) { self.at = at; self.text = text } }
public struct RecordingFooter: Sendable { public var endedAt: Double; public var reason: String; public var events: Int; public var tasks: Int
    public var redisCommands: Int; public var commandsPerSecond: Double
    public init(endedAt: Double, reason: String, events: Int, tasks: Int, redisCommands: Int, commandsPerSecond: Double) {
        self.endedAt = endedAt; self.reason = reason; self.events = events; self.tasks = tasks; self.redisCommands = redisCommands; self.commandsPerSecond = commandsPerSecond
    } }
