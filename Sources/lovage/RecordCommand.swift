import ArgumentParser
import FleetRecorder
import FleetRecording
import Foundation
import Logging
import LovageLogging
import RedisClient

/// `lovage record`: a recording of a running Celery fleet, for `lovage calibrate`.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a running Celery fleet (events, queue lengths, fleet settings) for `lovage calibrate`.",
        discussion: """
        Reads only: task and worker events, LLEN/HLEN of the queue lists, remote-control replies. \
        Nothing is taken from a queue, so no task is lost or reordered. Task events are turned on \
        (enable_events) on nodes that have them off, and off again at the end on exactly those. \
        Task arguments, keyword arguments, results and exception texts are not kept unless \
        --keep-args. Ctrl-C or the end of --duration leaves a complete recording. docs/recording.md \
        describes the format.
        """
    )

    @OptionGroup var logFormat: LogFormatOption
    @Option(name: [.customShort("b"), .long], help: "Broker URL (default: CELERY_BROKER_URL or redis://127.0.0.1:6379/0).")
    var broker: String?

    @OptionGroup var connection: BrokerConnectionOptions

    @Option(help: "How long to record: 1h, 10m, 90s (default: until Ctrl-C).", transform: DurationArgument.parse)
    var duration: DurationArgument?

    @Option(help: "Directory to write (it must not hold a recording already).")
    var out: String = "recording"

    @Option(name: [.customShort("Q"), .long], help: "Queues to watch besides those the workers report (comma-separated, repeatable).")
    var queues: [String] = []

    @Flag(help: "Time publishes exactly with Redis keyspace notifications (sets notify-keyspace-events; restored at the end).")
    var keyspaceEvents = false

    @Flag(help: "Keep task arguments, keyword arguments, results and exception texts (they can hold personal data).")
    var keepArgs = false

    @Flag(help: "Do not turn task events on where they are off (then only nodes with -E are seen).")
    var noEnableEvents = false

    @Option(help: "Queue-length sampling interval: 10ms (default), 50ms, 1s.", transform: DurationArgument.parse)
    var sampleInterval: DurationArgument = DurationArgument(.milliseconds(10))

    @Option(help: "Budget for the length sampler's commands per second; the interval is stretched to keep within it.")
    var maxCommandsPerSecond: Double = 1000

    @Option(help: "How often to ask every node for stats, queues, conf, registered and reserved.", transform: DurationArgument.parse)
    var fleetEvery: DurationArgument = DurationArgument(.seconds(60))

    func validate() throws {
        if let duration, duration.seconds <= 0 { throw ValidationError("--duration must be positive, got \(duration)") }
        if sampleInterval.seconds < 0.001 { throw ValidationError("--sample-interval must be at least 1ms, got \(sampleInterval)") }
        if maxCommandsPerSecond < 10 { throw ValidationError("--max-commands-per-second must be at least 10, got \(maxCommandsPerSecond)") }
        if fleetEvery.seconds < 1 { throw ValidationError("--fleet-every must be at least 1s, got \(fleetEvery)") }
    }

    func run() throws {
        let text = broker ?? ProcessInfo.processInfo.environment["CELERY_BROKER_URL"] ?? "redis://127.0.0.1:6379/0"
        let url = try connection.brokerURL(text)
        var options = RecorderOptions(url: url, directory: out)
        options.durationSeconds = duration?.seconds
        options.queues = queues.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        options.keyspaceEvents = keyspaceEvents
        options.keepArgs = keepArgs
        options.enableEvents = !noEnableEvents
        options.sampleIntervalSeconds = sampleInterval.seconds
        options.maxCommandsPerSecond = maxCommandsPerSecond
        options.fleetEverySeconds = fleetEvery.seconds
        options.lovageVersion = Lovage.version

        let stop = StopFlag()
        let sources = interruptSources { stop.set() }
        defer { sources.forEach { $0.cancel() } }
        let terminal = standardErrorIsTerminal
        let lastLine = StopFlag()
        // Bare "record: ..." lines unless --log-format or LOVAGE_LOG_FORMAT asks for a format, each
        // first clearing the progress line on a terminal.
        let format = try logFormat.resolve(fallback: .plain)
        let output = LogOutput { line in LogOutput.standardError.write((terminal ? "\r\u{1B}[K" : "") + line) }
        let recorder = FleetRecorder(
            options: options,
            logger: Logger(label: "lovage.record") { LovageLogHandler(label: $0, format: format, output: output) },
            progress: { line in
                if terminal {
                    FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
                } else if lastLine.tick(every: 10) {
                    printError(line)
                }
            })
        let summary: RecorderSummary
        do { summary = try recorder.run(shouldStop: { stop.isSet }) } catch {
            if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            printError("Error: \(error.description)")
            throw ExitCode(2)
        }
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        print("recorded \(String(format: "%.1f", summary.seconds)) s (\(summary.reason)): \(summary.events) events, \(summary.tasks) tasks")
        print("wrote \(summary.path): \(FleetRecorder.size(summary.compressedBytes)) (\(FleetRecorder.size(summary.rawBytes)) of JSON lines)")
        print("load on the broker: \(summary.commands) commands, \(String(format: "%.0f", Double(summary.commands) / max(summary.seconds, 1e-9))) per second")
        print("next: lovage calibrate \(out) --check")
    }
}

/// A flag set from a signal handler's queue and read by the recording loop.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private var lastTick = 0.0
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
    /// True at most once every `seconds`.
    func tick(every seconds: Double) -> Bool {
        lock.withLock {
            let now = Date().timeIntervalSince1970
            if now - lastTick >= seconds { lastTick = now; return true }
            return false
        }
    }
}
