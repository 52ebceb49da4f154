import ArgumentParser
import CeleryWire
import Foundation
import RedisClient
import RemoteControl

/// Options every remote-control command shares (celery/bin/control.py's `-d`, `--timeout`, `--json`).
struct RemoteOptions: ParsableArguments {
    @Option(name: [.customShort("b"), .long], help: "Broker URL (default: CELERY_BROKER_URL or redis://127.0.0.1:6379/0).")
    var broker: String?

    @Option(name: [.customShort("d"), .long], help: "Node names to address, comma-separated (repeatable); default: every node.")
    var destination: [String] = []

    @Option(help: "Seconds to wait for replies.")
    var timeout: Double = 1.0

    @Flag(help: "Print one JSON object {node: reply} instead of text.")
    var json = false

    @OptionGroup var connection: BrokerConnectionOptions

    var nodes: [String]? {
        let names = destination.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
        return names.isEmpty ? nil : names
    }

    func client() throws -> MailboxClient {
        let text = broker ?? ProcessInfo.processInfo.environment["CELERY_BROKER_URL"] ?? "redis://127.0.0.1:6379/0"
        let url = try connection.brokerURL(text)
        do { return try MailboxClient(url: url) } catch {
            printError("Error: cannot reach the broker \(url.redacted): \(error.message)")
            throw ExitCode(69)
        }
    }

    /// Sends the request and prints the replies; the exit status: 0 every addressed node (or, for a
    /// broadcast, at least one) replied, 69 none did (EX_UNAVAILABLE, as celery), 3 some named
    /// nodes did not.
    func run(_ method: String, arguments: JSONObject, footer: Bool) throws {
        let client = try client()
        let replies: [PidboxReply]
        do {
            replies = try client.call(method, arguments: arguments, destination: nodes, timeout: timeout)
        } catch {
            printError("Error: \(method) via \(client.url.redacted) failed: \(error.message)")
            throw ExitCode(69)
        }
        if replies.isEmpty {
            printError("Error: No nodes replied within time constraint")
            throw ExitCode(69)
        }
        if json {
            var object = JSONObject()
            for reply in replies where object[reply.hostname] == nil { object.set(reply.value, forKey: reply.hostname) }
            print(JSONValue.object(object).serializedString())
        } else {
            for reply in replies { print(RemoteReplyText.render(node: reply.hostname, value: reply.value)) }
            if footer { print("\n\(replies.count) \(replies.count == 1 ? "node" : "nodes") online.") }
        }
        if let nodes {
            let missing = nodes.filter { name in !replies.contains { $0.hostname == name } }
            if !missing.isEmpty {
                printError("Error: no reply from \(missing.joined(separator: ", "))")
                throw ExitCode(3)
            }
        }
    }
}

/// Exit 64 with the valid commands for an unknown one.
func unknownRemoteCommand(_ kind: String, _ command: String, _ valid: [String]) -> ExitCode {
    printError("Error: unknown \(kind) command '\(command)'. Valid commands: \(valid.joined(separator: ", "))")
    return ExitCode(64)
}

/// `lovage inspect COMMAND [ARGS...]`: `celery inspect` for any Celery fleet.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Ask Celery (or Lovage) workers for their state, as `celery inspect` does.",
        discussion: "Commands: \(RemoteRequest.inspectCommands.joined(separator: ", ")). Exit status: 0 replies from every "
            + "named node (broadcast: at least one), 3 some named nodes did not reply, 69 no node replied or the broker is unreachable, 64 unknown command.")

    @Argument(help: "The inspect command.") var command: String
    @Argument(help: "Its arguments (query_task: task ids; registered: task info items).") var args: [String] = []
    @OptionGroup var options: RemoteOptions

    func run() throws {
        guard RemoteRequest.inspectCommands.contains(command) else {
            throw unknownRemoteCommand("inspect", command, RemoteRequest.inspectCommands)
        }
        try options.run(command, arguments: try RemoteRequest.inspect(command, args), footer: true)
    }
}

/// `lovage control COMMAND [ARGS...]`: `celery control`, with Celery's argument order.
struct ControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Send a remote-control command to Celery (or Lovage) workers, as `celery control` does.",
        discussion: "Commands: \(RemoteRequest.controlCommands.joined(separator: ", ")). shutdown is sent without "
            + "waiting (workers never reply to it). Exit status as for inspect.")

    @Argument(help: "The control command.") var command: String
    @Argument(help: "Its arguments, in celery control's order.") var args: [String] = []
    @OptionGroup var options: RemoteOptions

    func run() throws {
        guard RemoteRequest.controlCommands.contains(command) else {
            throw unknownRemoteCommand("control", command, RemoteRequest.controlCommands)
        }
        let arguments = try RemoteRequest.control(command, args)
        if command == "shutdown" {
            // Celery workers shut down without replying (captures 35, 75): a cast, reported as sent.
            let client = try options.client()
            do { try client.cast(command, arguments: arguments, destination: options.nodes) } catch {
                printError("Error: shutdown via \(client.url.redacted) failed: \(error.message)")
                throw ExitCode(69)
            }
            print("->  shutdown sent to \(options.nodes?.joined(separator: ", ") ?? "all nodes") (no reply expected)")
            return
        }
        try options.run(command, arguments: arguments, footer: false)
    }
}

/// `lovage status`: `celery status`, one `node: OK` line per node that answers ping.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "List the workers that answer ping, as `celery status` does.")

    @OptionGroup var options: RemoteOptions

    func run() throws {
        let client = try options.client()
        let replies: [PidboxReply]
        do { replies = try client.call("ping", destination: options.nodes, timeout: options.timeout) } catch {
            printError("Error: ping via \(client.url.redacted) failed: \(error.message)")
            throw ExitCode(69)
        }
        if replies.isEmpty {
            printError("Error: No nodes replied within time constraint")
            throw ExitCode(69)
        }
        if options.json {
            var object = JSONObject()
            for reply in replies where object[reply.hostname] == nil { object.set(reply.value, forKey: reply.hostname) }
            print(JSONValue.object(object).serializedString())
        } else {
            for reply in replies { print("->  \(reply.hostname): OK") }
            print("\n\(replies.count) \(replies.count == 1 ? "node" : "nodes") online.")
        }
    }
}
