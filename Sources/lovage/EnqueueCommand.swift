import ArgumentParser
import CeleryWire
import Foundation
import LiveWorker
import RedisClient
import WorkerCore

/// `lovage enqueue NAME`: publish one Celery task message to Redis, as `send_task` would, so any
/// Celery worker (Python's or Lovage's) can run it; with `--wait`, print its result.
struct EnqueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Publish a Celery task message to Redis (and with --wait, print its result).",
        discussion: """
        The broker URL comes from --broker, else CELERY_BROKER_URL, else redis://127.0.0.1:6379/0. \
        Durations (--countdown, --expires, --timeout) take units (30s, 5m, 1h, 250ms); a bare number is seconds. \
        Exit status: 0 published (with --wait: SUCCESS), 1 with --wait on FAILURE or REVOKED, 2 bad input or \
        an unreachable broker, 3 when --wait's --timeout passes.
        """)

    @Argument(help: "The registered task name, e.g. lovage.add or app.tasks.send_mail.")
    var name: String

    @Option(help: "Positional arguments as a JSON array, e.g. '[2, 3]'.")
    var args: String = "[]"

    @Option(help: "Keyword arguments as a JSON object, e.g. '{\"x\": 1}'.")
    var kwargs: String = "{}"

    @Option(help: "The queue (routing key).")
    var queue: String = "celery"

    @Option(help: "Run no earlier than this long from now (becomes the eta header): 30, 30s, 5m, 1h30m; a bare number is seconds.",
            transform: DurationArgument.parse)
    var countdown: DurationArgument?

    @Option(help: "Run no earlier than this time (ISO 8601, e.g. 2026-11-29T10:00:00+00:00).")
    var eta: String?

    @Option(help: "Revoke if not started within this long: 60, 10m, 1h; a bare number is seconds.", transform: DurationArgument.parse)
    var expires: DurationArgument?

    @Option(help: "Message priority 0-9 (lower runs first on Redis).")
    var priority: Int = 0

    @Option(help: "The task id (default: a new UUID).")
    var id: String?

    @Option(name: .customLong("then"), help: ArgumentHelp(
        "Chain another task after this one: NAME or NAME:ARGS_JSON, e.g. 'lovage.add:[10]'; repeat for a longer chain.",
        discussion: "Each task gets the previous one's result prepended to its arguments, as Celery's chain(add.s(1, 2), add.s(10)) does; with --wait the last task's result is printed."))
    var then: [String] = []

    @Option(name: [.customShort("b"), .long], help: "Broker URL (default: CELERY_BROKER_URL or redis://127.0.0.1:6379/0).")
    var broker: String?

    @Option(name: .customLong("result-backend"), help: "Result backend URL (default: the broker URL).")
    var resultBackend: String?

    @Option(help: "Kombu priority steps, comma-separated; must match the workers' (default 0,3,6,9).")
    var prioritySteps: String?

    @OptionGroup var connection: BrokerConnectionOptions

    @Flag(help: "Wait for the result and print it.")
    var wait = false

    @Option(help: "With --wait, give up after this long: 60, 90s, 5m; a bare number is seconds (default 60s).", transform: DurationArgument.parse)
    var timeout: DurationArgument = DurationArgument(.seconds(60))

    func validate() throws {
        guard timeout.span.microseconds > 0 else { throw ValidationError("--timeout must be longer than 0s") }
    }

    func run() throws {
        var message = try buildMessage(now: Date())
        let chain = try ChainSteps(then, replyTo: message.replyTo)
        message.embed.chain = chain.embedJSON
        let brokerText = broker ?? ProcessInfo.processInfo.environment["CELERY_BROKER_URL"] ?? "redis://127.0.0.1:6379/0"
        let brokerURL = try connection.brokerURL(brokerText)
        var options = try connection.brokerOptions().transport
        if let prioritySteps { options.prioritySteps = try Self.prioritySteps(prioritySteps) }
        do {
            let redisBroker = try RedisBroker(url: brokerURL, options: options)
            try redisBroker.publish(message.encode(), queue: queue, priority: priority)
        } catch {
            throw ValidationError("cannot publish: \(error)")
        }
        print(message.id)
        for step in chain.steps { print("then \(step.name) \(step.id)") }
        guard wait else { return }
        let backendURL = try connection.backendURL(resultBackend ?? brokerText)
        try waitForResult(taskID: chain.steps.last?.id ?? message.id, url: backendURL)
    }

    func buildMessage(now: Date) throws -> TaskMessage {
        let parsedArgs = try parseJSON(args, option: "--args")
        guard case .array(let argList) = parsedArgs else {
            throw ValidationError("--args must be a JSON array, got \(parsedArgs.typeName)")
        }
        let parsedKwargs = try parseJSON(kwargs, option: "--kwargs")
        guard case .object(let kwargObject) = parsedKwargs else {
            throw ValidationError("--kwargs must be a JSON object, got \(parsedKwargs.typeName)")
        }
        guard (0...9).contains(priority) else { throw ValidationError("--priority must be 0-9, got \(priority)") }
        let nowMicros = Int64((now.timeIntervalSince1970 * 1_000_000).rounded())
        var etaMicros: Int64? = nil
        if let countdown {
            etaMicros = nowMicros + countdown.span.microseconds
        }
        if let eta {
            guard countdown == nil else { throw ValidationError("use --countdown or --eta, not both") }
            do { etaMicros = try CeleryTimestamp.parse(eta) } catch {
                throw ValidationError("--eta: \(error.reason)")
            }
        }
        var expiresMicros: Int64? = nil
        var expirationMillis: Int64? = nil
        if let expires {
            guard expires.span.microseconds > 0 else { throw ValidationError("--expires must be longer than 0s") }
            expiresMicros = nowMicros + expires.span.microseconds
            expirationMillis = expires.span.microseconds / 1000
        }
        let taskID = id ?? UUID().uuidString.lowercased()
        let host = ProcessInfo.processInfo.hostName
        return TaskMessage.make(
            task: name, id: taskID, args: argList, kwargs: kwargObject, queue: queue, priority: priority,
            deliveryTag: UUID().uuidString.lowercased(), origin: "\(ProcessInfo.processInfo.processIdentifier)@\(host)",
            eta: etaMicros, expires: expiresMicros, expirationMillis: expirationMillis, ignoreResult: nil,
            argsAsTuple: false)
    }

    private func waitForResult(taskID: String, url: RedisURL) throws {
        let backend: RedisResultBackend
        do { backend = try RedisResultBackend(url: url) } catch {
            throw ValidationError("cannot reach the result backend: \(error)")
        }
        let deadline = Date().addingTimeInterval(timeout.seconds)
        while Date() < deadline {
            if let document = try? backend.fetch(taskID: taskID),
               let state = TaskState(rawValue: document.status), state.isReady {
                print(String(decoding: document.encode(), as: UTF8.self))
                if state != .success { throw ExitCode(1) }
                return
            }
            usleep(50_000)
        }
        printError("no result for \(taskID) after \(timeout)")
        throw ExitCode(3)
    }

    private func parseJSON(_ text: String, option: String) throws -> JSONValue {
        do { return try JSONValue.parse(text) } catch {
            throw ValidationError("\(option): \(error.reason)")
        }
    }


}
