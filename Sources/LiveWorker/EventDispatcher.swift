import CeleryWire
import Foundation

/// Celery's event dispatcher for the live worker (`-E`): stamps events the way
/// celery/events/dispatcher.py does (hostname, utcoffset, pid, a Lamport clock forwarded once per
/// event, `time.time()`), buffers task events and turns them into PUBLISH commands for the
/// broker pipeline.
///
/// Task events are buffered and flushed as one `task.multi` message per loop iteration, at most
/// `EventEnvelope.bufferLimit` (24) per message — what a Celery worker with an event loop does
/// (`buffer_group=['task']`, flushed on the hub's next tick; celery/worker/consumer/events.py).
/// Worker events (online, heartbeat, offline) go out one per message on `worker.<kind>`.
/// Publishing is fire-and-forget, as in Celery: a PUBLISH with no subscriber is simply dropped.
///
/// Used only by the driver's main loop (not thread-safe).
final class EventDispatcher {
    let hostname: String
    let pid: Int
    let database: Int
    /// The heartbeat interval (`Heart.interval` in celery/worker/heartbeat.py, 2 s by default).
    let heartbeatSeconds: Double
    /// Lovage names itself in worker events where Celery says `py-celery`; the version is the
    /// Celery release whose events it reproduces.
    static let software = CeleryEvent.Software(ident: "lovage", version: "5.7.0", system: "Linux")
    /// Read once: Foundation's time zone lookup is not free, and the offset changes only at a DST
    /// switch (Celery reads it per event; a worker running across a switch reports the old offset).
    let utcoffset = EventDispatcher.utcoffset()
    /// The app's Lamport clock (`app.clock`), which `clock`, `stats` and `hello` report.
    private(set) var clock = 0
    private var buffered: [CeleryEvent] = []
    private(set) var nextHeartbeat = Date.distantPast
    private static let publish = Array("PUBLISH".utf8)
    /// `/<db>.celeryev/task.multi`, where the buffered task events go.
    private let taskChannel: [UInt8]

    init(hostname: String, pid: Int, database: Int, heartbeatSeconds: Double = 2) {
        self.hostname = hostname
        self.pid = pid
        self.database = database
        self.heartbeatSeconds = heartbeatSeconds
        taskChannel = Array(EventEnvelope.channel(database: database, routingKey: EventEnvelope.multiRoutingKey(group: "task")).utf8)
    }

    /// The dispatcher's part of the next event (forwards the clock).
    func stamp() -> CeleryEvent.Stamp {
        clock += 1
        return CeleryEvent.Stamp(hostname: hostname, utcoffset: utcoffset, pid: pid, clock: clock,
                                 timestamp: Date().timeIntervalSince1970)
    }

    /// Buffers a task event until the next `takeCommands()`.
    func buffer(_ event: CeleryEvent) { buffered.append(event) }

    var hasBuffered: Bool { !buffered.isEmpty }

    /// PUBLISH commands for the buffered task events (in order, 24 per message), emptied.
    func takeCommands() -> [[[UInt8]]] {
        guard !buffered.isEmpty else { return [] }
        var commands: [[[UInt8]]] = []
        var start = 0
        while start < buffered.count {
            let end = min(buffered.count, start + EventEnvelope.bufferLimit)
            let payload = EventEnvelope.encodeBatch(buffered[start..<end], group: "task", hostname: hostname,
                                                    deliveryTag: deliveryTag())
            commands.append([Self.publish, taskChannel, payload])
            start = end
        }
        buffered.removeAll(keepingCapacity: true)
        return commands
    }

    /// The PUBLISH command of a worker event with the worker's current figures; a heartbeat or
    /// online event also schedules the next heartbeat.
    func workerEventCommand(_ kind: CeleryEvent.WorkerEventKind, active: Int, processed: Int) -> [[UInt8]] {
        let event = CeleryEvent.worker(kind, stamp(), freqSeconds: heartbeatSeconds, active: active, processed: processed,
                                       loadavg: Self.loadAverage(), software: Self.software)
        if kind != .offline { nextHeartbeat = Date().addingTimeInterval(heartbeatSeconds) }
        let channel = EventEnvelope.channel(database: database, routingKey: EventEnvelope.routingKey(forType: kind.rawValue))
        return [Self.publish, Array(channel.utf8), EventEnvelope.encode(event, deliveryTag: deliveryTag())]
    }

    /// Kombu gives every published message a fresh uuid4 delivery tag. Nobody acknowledges an
    /// event, so the tag only has to look like Kombu's and not repeat: a uuid4-shaped string from a
    /// splitmix64 sequence seeded once. (Foundation's `UUID()` costs a few microseconds a call
    /// here, as much as encoding the events themselves.)
    private func deliveryTag() -> String {
        let high = nextRandom(), low = nextRandom()
        // Version 4 and the RFC 4122 variant, as uuid.uuid4() sets them.
        let a = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let b = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        var hex = [UInt8](repeating: 0, count: 36)
        var index = 0
        func put(_ value: UInt64, digits: Int) {
            for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
                hex[index] = Self.hexDigits[Int((value >> UInt64(shift)) & 0xF)]
                index += 1
            }
        }
        put(a >> 32, digits: 8); hex[index] = 0x2D; index += 1
        put((a >> 16) & 0xFFFF, digits: 4); hex[index] = 0x2D; index += 1
        put(a & 0xFFFF, digits: 4); hex[index] = 0x2D; index += 1
        put(b >> 48, digits: 4); hex[index] = 0x2D; index += 1
        put(b & 0xFFFF_FFFF_FFFF, digits: 12)
        return String(decoding: hex, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private var randomState = UInt64.random(in: .min ... .max)

    /// splitmix64.
    private func nextRandom() -> UInt64 {
        randomState &+= 0x9E37_79B9_7F4A_7C15
        var z = randomState
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `celery.utils.time.utcoffset()`: `time.timezone // 3600` (hours west of UTC; `altzone` in DST).
    static func utcoffset() -> Double {
        let secondsEast = TimeZone.current.secondsFromGMT()
        return Double((-secondsEast).floorDivided(by: 3600))
    }

    /// `os.getloadavg()` (1, 5 and 15 minutes), zeros where the system gives none.
    static func loadAverage() -> [Double] {
        var values = [Double](repeating: 0, count: 3)
        let count = getloadavg(&values, 3)
        return count == 3 ? values : [0, 0, 0]
    }
}

private extension Int {
    /// Python's `//` (rounds toward negative infinity).
    func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
