import CeleryWire
import FleetRecording
import Foundation
import Logging
import RedisClient

/// What `lovage record` is asked to do.
public struct RecorderOptions: Sendable {
    public var url: RedisURL
    public var directory: String
    /// Seconds; nil records until stopped.
    public var durationSeconds: Double?
    /// Queues to watch besides those the nodes report consuming (`active_queues`).
    public var queues: [String] = []
    public var keyspaceEvents = false
    public var keepArgs = false
    public var enableEvents = true
    public var sampleIntervalSeconds = 0.010
    /// The budget for the length sampler, which is the recorder's only steady command stream.
    public var maxCommandsPerSecond = 1000.0
    public var fleetEverySeconds = 60.0
    public var prioritySteps = PriorityQueueKeys.defaultSteps
    public var lovageVersion = ""
    public init(url: RedisURL, directory: String) { self.url = url; self.directory = directory }
}

/// What a finished recording holds, for the closing lines on screen.
public struct RecorderSummary: Sendable {
    public var path: String
    public var seconds: Double
    public var events: Int
    public var tasks: Int
    public var commands: Int
    public var compressedBytes: Int
    public var rawBytes: Int
    public var reason: String
}

/// `lovage record`: observes a running Celery fleet through its broker and writes a recording.
///
/// It only ever reads (events on pub/sub, LLEN/HLEN, remote-control inspect replies) — with two
/// exceptions that change what the fleet does and are undone at the end: `enable_events` on nodes
/// that had task events off (disabled again afterwards, only on those nodes), and with
/// `--keyspace-events` the server's `notify-keyspace-events` (its old value restored). No queue is
/// read from, so no task can be lost, taken or reordered by recording it.
public final class FleetRecorder: Sendable {
    private let options: RecorderOptions
    private let logger: Logger
    private let progress: @Sendable (String) -> Void

    public init(options: RecorderOptions, logger: Logger, progress: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.logger = logger
        self.progress = progress
    }

    public func run(shouldStop: @escaping @Sendable () -> Bool) throws(RecordingError) -> RecorderSummary {
        let url = options.url
        // Reachable at all? Said plainly before anything is created.
        let control: RedisConnection
        do throws(RedisError) {
            control = try RedisConnection(url: url, connectTimeout: 5, commandTimeout: 5)
            let pong = try control.command("PING")
            if let message = pong.errorMessage { throw RedisError.serverError(message, endpoint: url.redacted) }
        } catch {
            throw RecordingError("cannot reach the broker at \(url.redacted): \(error.message)")
        }
        let writer = try RecordingWriter(directory: options.directory)
        let sink = RecordingSink(writer: writer)
        let survey = try FleetSurvey(url: url, sink: sink, logger: logger)
        let nodes = try survey.discover()
        let startedAt = Date().timeIntervalSince1970
        let firstSnapshots = survey.snapshot(write: false)
        if nodes.isEmpty {
            logger.info("record: no worker answered `inspect ping` within 1 s; recording anyway (workers that start later are picked up from their worker-online event)")
        } else {
            logger.info("record: \(nodes.count) node(s): \(nodes.joined(separator: ", "))")
        }
        var queues = options.queues
        for queue in survey.queues where !queues.contains(queue) { queues.append(queue) }
        if queues.isEmpty { queues = ["celery"] }
        let lists = queues.flatMap { queue in
            options.prioritySteps.map { step in (key: PriorityQueueKeys.listKey(queue: queue, priority: step, steps: options.prioritySteps), queue: queue, step: step) }
        }

        var keyspace: KeyspaceNotifications?
        if options.keyspaceEvents {
            do {
                keyspace = try KeyspaceNotifications.enable(on: control)
                sink.setCommands(2, part: "config")
                logger.info("record: notify-keyspace-events set to \"\(keyspace!.applied)\" (was \"\(keyspace!.previous)\"; restored at the end)")
            } catch {
                logger.info("record: cannot set notify-keyspace-events (\(error.message)); publish times come from the sampled queue lengths instead")
            }
        }

        var header = RecordingHeader(startedAt: startedAt)
        header.lovage = options.lovageVersion
        header.broker = url.redacted
        header.database = url.database
        header.queues = queues
        header.prioritySteps = options.prioritySteps
        header.keyspaceEvents = keyspace != nil
        header.keepArgs = options.keepArgs
        let sampler = QueueSampler(url: url, consumer: sink, lists: lists, steps: options.prioritySteps,
                                   requestedIntervalSeconds: options.sampleIntervalSeconds,
                                   maxCommandsPerSecond: options.maxCommandsPerSecond, logger: logger)
        header.sampleIntervalMs = sampler.intervalSeconds * 1000
        sink.append(RecordingLines.header(header))
        for snapshot in firstSnapshots { sink.append(RecordingLines.fleet(snapshot)) }
        if sampler.intervalSeconds > options.sampleIntervalSeconds {
            let line = "record: queue lengths sampled every " + String(format: "%.1f", sampler.intervalSeconds * 1000)
                + " ms (not the " + String(format: "%.1f", options.sampleIntervalSeconds * 1000) + " ms asked) to keep within "
                + "\(Int(options.maxCommandsPerSecond)) commands/s for \(lists.count) lists"
            logger.info("\(line)")
        }
        let watching = "record: watching \(queues.joined(separator: ", ")): \(lists.count + 1) LLEN/HLEN every "
            + String(format: "%.0f", sampler.intervalSeconds * 1000) + " ms ≈ \(Int(sampler.commandsPerSecond.rounded())) commands/s, "
            + "plus one fleet survey (6 inspect calls) every \(Int(options.fleetEverySeconds)) s"
        logger.info("\(watching)")

        let tap = EventTap(url: url, consumer: RecordedEvents(sink: sink, keepArgs: options.keepArgs),
                           keyspaceLists: keyspace != nil ? lists : [], logger: logger)
        do {
            try tap.start()
            try sampler.start()
        } catch {
            tap.stop()
            if let keyspace { try? keyspace.restore(on: control) }
            try? sink.close()
            throw error
        }

        func enable(_ targets: [String]) {
            guard options.enableEvents else { return }
            let turnedOn = survey.enableEvents(targets)
            if !turnedOn.isEmpty {
                logger.info("record: task events were off on \(turnedOn.joined(separator: ", ")): turned on with enable_events (turned off again at the end)")
                var note = RecordingLines.note(RecordingNote(at: Date().timeIntervalSince1970, text: "task events enabled by the recorder on \(turnedOn.joined(separator: ", "))"))
                note.set(.array(turnedOn.map { .string($0) }), forKey: "events_enabled_by_recorder")
                sink.append(note)
            }
        }
        enable(nodes)

        var reason = "stopped (Ctrl-C)"
        var lastSurvey = Date().timeIntervalSince1970
        var lastProgress = 0.0
        while true {
            let now = Date().timeIntervalSince1970
            if shouldStop() { break }
            if let duration = options.durationSeconds, now - startedAt >= duration { reason = "duration reached"; break }
            if let failure = sink.failure { reason = "write failed: \(failure.description)"; break }
            let arrived = tap.newNodes().filter { !survey.nodes.contains($0) }
            if !arrived.isEmpty {
                logger.info("record: new node(s) online: \(arrived.joined(separator: ", "))")
                enable(arrived)
                survey.snapshot(arrived)
                _ = survey.adopt(arrived)
            }
            if now - lastSurvey >= options.fleetEverySeconds {
                lastSurvey = now
                _ = try? survey.discover()
                survey.snapshot()
            }
            sink.flush()
            if now - lastProgress >= 1 {
                lastProgress = now
                let totals = sink.totals
                let elapsed = now - startedAt
                progress("recording " + Self.clock(elapsed) + " · \(totals.events) events · \(totals.tasks) tasks · "
                         + "\(Int((Double(totals.commands) / max(elapsed, 1)).rounded())) commands/s · "
                         + Self.size(totals.compressedBytes))
            }
            Thread.sleep(forTimeInterval: 0.1)
        }

        // Wind down: events back off first (while still subscribed, so their last events land),
        // then the subscriber and the sampler, then the server setting.
        let restored = survey.restoreEvents()
        if !restored.restored.isEmpty { logger.info("record: task events turned off again on \(restored.restored.joined(separator: ", "))") }
        if !restored.failed.isEmpty {
            let nodes = restored.failed.joined(separator: ", ")
            logger.warning("record: warning: no answer to disable_events from \(nodes); their task events are still on (turn them off with: lovage control disable_events -b \(url.redacted) -d \(restored.failed.joined(separator: ",")))")
        }
        Thread.sleep(forTimeInterval: 0.3)
        tap.stop()
        sampler.stop()
        if let keyspace {
            do {
                try keyspace.restore(on: control)
                logger.info("record: notify-keyspace-events restored to \"\(keyspace.previous)\"")
            } catch {
                logger.warning("record: warning: could not restore notify-keyspace-events to \"\(keyspace.previous)\": \(error.message)")
            }
        }
        let endedAt = Date().timeIntervalSince1970
        let totals = sink.totals
        let commands = totals.commands + (keyspace != nil ? 1 : 0)
        sink.append(RecordingLines.footer(RecordingFooter(
            endedAt: endedAt, reason: reason, events: totals.events, tasks: totals.tasks, redisCommands: commands,
            commandsPerSecond: Double(commands) / max(endedAt - startedAt, 1e-9))))
        try sink.close()
        let sizes = sink.sizes
        return RecorderSummary(path: writer.path, seconds: endedAt - startedAt, events: totals.events, tasks: totals.tasks,
                               commands: commands, compressedBytes: sizes.compressed, rawBytes: sizes.raw, reason: reason)
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds)
        return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }

    public static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MB", Double(bytes) / 1_048_576) : String(format: "%.0f KB", Double(bytes) / 1024)
    }
}
