import ArgumentParser
import CeleryWire
import Foundation
import LiveBeat
import Logging
import LovageLogging
import RedisClient
import Scenarios
import Schedules
import WorkerCore

/// `lovage beat`: Celery beat for any Celery fleet on Redis, with a lock so that any number of
/// them may run and exactly one sends.
struct BeatCommand: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "beat",
        abstract: "Send periodic tasks as Celery beat does, with a Redis lock so that only one of many beats sends.",
        discussion: """
        The schedule file (YAML or JSON) has `entries:`, each a `task`, a `schedule` (`every: 30s`, or \
        `crontab: "*/5 * * * *"` or its fields), and optionally `args`, `kwargs` and `options` (queue, priority, \
        expires, countdown, headers); and optionally `timezone` and `beat_cron_starting_deadline`. See docs/beat.md. \
        Each due entry is published as a Celery client publishes it, so any Celery worker (Python or Lovage) runs it, \
        and logged as Celery beat logs it ("Scheduler: Sending due task NAME (TASK)"). \
        Every beat on a broker takes or renews the lock <prefix>:lock on each tick; only its holder sends, and the \
        send and the entry's last run (<prefix>:last_run) are written in one script that first checks the lock. \
        A holder that stops renewing is replaced within --lock-timeout; a stopping holder releases the lock at once. \
        A restart or takeover reads the last runs: an entry whose due times passed while no beat sent is sent \
        once, as Celery beat does (crontabs: not when older than beat_cron_starting_deadline). \
        An unreachable broker is waited for, and reported. SIGTERM or Ctrl-C: release the lock and stop. \
        Exit status: 0 after a stop, 2 on a bad option or schedule file.
        """)

    @Option(name: [.customShort("A"), .long], help: "Accepted for compatibility with `celery -A app beat`; ignored.")
    var app: String?

    @Option(name: [.customShort("b"), .long], help: "Broker URL (default: CELERY_BROKER_URL or redis://127.0.0.1:6379/0).")
    var broker: String?

    @OptionGroup var connection: BrokerConnectionOptions

    @Option(name: [.customShort("s"), .long], help: "The schedule file (YAML or JSON).")
    var schedule: String

    @Option(help: "Longest sleep between ticks (Celery's beat_max_loop_interval): 300, 5m, 1s.", transform: DurationArgument.parse)
    var maxInterval: DurationArgument = DurationArgument(TimeSpan(microseconds: 300_000_000))

    @Option(help: "The lock's expiry: a standby takes over this long after the holder stops renewing (renewed every third of it).",
            transform: DurationArgument.parse)
    var lockTimeout: DurationArgument = DurationArgument(TimeSpan(microseconds: 30_000_000))

    @Flag(help: "Send without the lock, as Celery's own beat does: two such beats send every task twice.")
    var noLock = false

    @Option(help: "Prefix of the lock and last-run keys in Redis.")
    var keyPrefix: String = BeatRedisKeys.defaultPrefix

    @Option(help: "The queue for entries without options.queue (Celery's task_default_queue).")
    var defaultQueue: String = "celery"

    @Option(help: "Kombu priority steps, comma-separated; must match the workers'.")
    var prioritySteps: String = "0,3,6,9"

    @Option(name: [.customShort("l"), .long], help: "Log level: DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    var loglevel: String = "INFO"

    @OptionGroup var logFormat: LogFormatOption

    @Option(help: ArgumentHelp("Pretend this host's clock is off by D (signed: --clock-offset=-90s): to see what a skewed beat host sends.",
                               discussion: "Beats on hosts whose clocks disagree send at different real times; with the lock only the holder's clock counts."),
            transform: SignedDurationArgument.parse)
    var clockOffset: SignedDurationArgument = SignedDurationArgument(micros: 0)

    @Option(help: ArgumentHelp("The offset of the clock the sent messages' eta and expires are computed on (default: --clock-offset's).",
                               discussion: "`lovage run` shifts its beats to the scenario's start_at with --clock-offset and gives 0 here, so workers read countdowns and expiries on the true clock."),
            transform: SignedDurationArgument.parse)
    var messageClockOffset: SignedDurationArgument?

    @Option(help: "Print each entry's next N due times in the schedule's timezone and exit (no broker needed).")
    var next: Int?

    func validate() throws {
        guard maxInterval.span.microseconds > 0 else { throw ValidationError("--max-interval must be longer than 0s") }
        guard lockTimeout.span.microseconds >= 300_000 else { throw ValidationError("--lock-timeout must be at least 300ms") }
        _ = try logSetup()
        if let next, next < 1 { throw ValidationError("--next must be 1 or more") }
    }

    func logSetup() throws -> LogSetup {
        let level: Logger.Level
        do { level = try LogLevelName.resolve(loglevel) } catch { throw ValidationError(error.description) }
        return LogSetup(format: try logFormat.resolve(), level: level)
    }

    func run() throws {
        let spec: ScheduleSpec
        do { spec = try ScheduleFileLoader.load(path: schedule) } catch {
            printError(error.description)
            throw ExitCode(ExitStatus.badInput)
        }
        if let next {
            print(BeatNextTimes.text(spec, count: next, now: BeatService.wallNow() + clockOffset.micros))
            return
        }
        let url = try connection.brokerURL(broker ?? ProcessInfo.processInfo.environment["CELERY_BROKER_URL"] ?? "redis://127.0.0.1:6379/0")
        var settings = BeatSettings(entries: spec.entries, zone: spec.zone, brokerURL: url, holderID: Self.holderID())
        settings.cronStartingDeadlineMicros = spec.cronStartingDeadlineMicros
        settings.keys = BeatRedisKeys(prefix: keyPrefix)
        settings.useLock = !noLock
        settings.lockTimeoutMicros = lockTimeout.span.microseconds
        settings.maxIntervalMicros = maxInterval.span.microseconds
        settings.defaultQueue = defaultQueue
        settings.prioritySteps = try Self.prioritySteps(prioritySteps)
        settings.clockOffsetMicros = clockOffset.micros
        settings.messageClockOffsetMicros = messageClockOffset?.micros
        let logger = Logger(label: "lovage.beat")
        let service = BeatService(settings: settings, logger: logger)
        for line in BeatLogLine.banner(settings, schedulePath: schedule) { logger.info("\(line)") }
        let sources = interruptSources { service.stop() }
        service.run()
        sources.forEach { $0.cancel() }
    }

    /// `beat@host:pid:random`: unique per process, readable in the lock and the logs.
    /// `worker -B` passes its node name for the host part.
    static func holderID(host: String = ProcessInfo.processInfo.hostName) -> String {
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "beat@\(host):\(ProcessInfo.processInfo.processIdentifier):\(random)"
    }
}

/// The beat's start-up lines.
enum BeatLogLine {
    /// What Celery beat prints at start (`celery beat v5 is starting.` and its Configuration), for Lovage's settings.
    static func banner(_ settings: BeatSettings, schedulePath: String) -> [String] {
        let lock = settings.useLock
            ? "\(settings.keys.lock) (expiry \(DurationText.format(TimeSpan(microseconds: settings.lockTimeoutMicros))))"
            : "none (--no-lock: every beat sends)"
        return ["lovage beat is starting.",
                "Configuration ->",
                "    . broker -> \(settings.brokerURL.redacted)",
                "    . schedule -> \(schedulePath) (\(settings.entries.count) entr\(settings.entries.count == 1 ? "y" : "ies"), timezone \(settings.zone))",
                "    . lock -> \(lock)",
                "    . last runs -> \(settings.keys.lastRun)",
                "    . maxinterval -> \(DurationText.format(TimeSpan(microseconds: settings.maxIntervalMicros)))"]
    }
}

/// A duration that may be negative (`-90s`, `1m`), for a clock offset.
struct SignedDurationArgument: Sendable, Equatable, CustomStringConvertible {
    var micros: Int64
    var description: String { (micros < 0 ? "-" : "") + DurationText.format(TimeSpan(microseconds: abs(micros))) }

    static func parse(_ text: String) throws -> SignedDurationArgument {
        let negative = text.hasPrefix("-")
        guard let span = DurationText.parse(negative ? String(text.dropFirst()) : text) else {
            throw ValidationError("expected a signed duration such as 90s, -90s or -1m30s, got '\(text)'")
        }
        return SignedDurationArgument(micros: negative ? -span.microseconds : span.microseconds)
    }
}
