import CeleryWire
import Foundation
import Logging
import RedisClient
import RemoteControl
import Reports
import Scenarios
import WorkerCore

/// A scenario's `controls:` in a real run: each one is sent at its (time-scaled) moment through the
/// pidbox mailbox, as an operator's `celery control <command> -d <nodes>` would, to the fleet's
/// nodes (`worker-1@<host>`, addressed by a pattern on the names the fleet gave them), and each
/// node's reply is kept for the summary — the same outcomes the simulator records for its cores.
///
/// Sends run on their own thread: a call waits up to `replyTimeoutSeconds` for replies and must
/// not hold up the runner's fault and scaler timing.
final class RealControlSender: @unchecked Sendable {
    /// How long one control waits for its nodes' replies (Celery's CLI default, 1 s).
    static let replyTimeoutSeconds = 1.0

    private var pending: [(index: Int, control: ScheduledControl)]
    private let url: RedisURL
    /// The scenario's worker groups: a control for every worker addresses `<group>-<n>@<host>`.
    private let groupNames: [String]
    private let publishedIDs: [String]
    private let listKeys: [String]
    private let logger: Logger
    private let lock = NSLock()
    private var outcomes: [(index: Int, outcome: RunSummary.ControlOutcome)] = []
    private var inFlight = 0

    init(scenario: Scenario, url: RedisURL, publishedIDs: [String], listKeys: [String],
         logger: Logger) {
        pending = scenario.controls.enumerated().map { ($0.offset, $0.element) }
            .sorted { $0.control.at != $1.control.at ? $0.control.at < $1.control.at : $0.index < $1.index }
        self.url = url
        self.groupNames = scenario.fleet.map(\.name)
        self.publishedIDs = publishedIDs
        self.listKeys = listKeys
        self.logger = logger
    }

    var nextDue: TimeSpan? { pending.first?.control.at }
    var isDone: Bool { pending.isEmpty && lock.withLock { inFlight == 0 } }

    /// Sends every control due at `now` (run time since the start).
    func tick(now: TimeSpan) {
        while let first = pending.first, first.control.at <= now {
            pending.removeFirst()
            send(first.control, index: first.index)
        }
    }

    /// Every outcome, in the order of the scenario's controls, each control's nodes by name.
    func waitAndCollect(timeoutSeconds: Double = 5) -> [RunSummary.ControlOutcome] {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while lock.withLock({ inFlight > 0 }), Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return lock.withLock { outcomes }.sorted {
            $0.index != $1.index ? $0.index < $1.index : $0.outcome.worker < $1.outcome.worker
        }.map(\.outcome)
    }

    private func send(_ scheduled: ScheduledControl, index: Int) {
        let control = resolve(scheduled.command)
        let text = ScenarioControl.control(control).description
        // Node names are `<name>@<host>`: the pattern needs only the names the scenario knows. For
        // every worker, any of the groups' numbered workers (a scaler may have started more).
        let escaped = { (names: [String]) in names.map(NSRegularExpression.escapedPattern(for:)).joined(separator: "|") }
        let pattern = scheduled.destination.map { "^(" + escaped($0) + ")@" } ?? "^(" + escaped(groupNames) + ")-[0-9]+@"
        lock.withLock { inFlight += 1 }
        let url = self.url, logger = self.logger
        let thread = Thread { [self] in
            defer { lock.withLock { inFlight -= 1 } }
            var replies: [PidboxReply] = []
            do {
                let client = try MailboxClient(url: url)
                replies = try client.call(control.method, arguments: control.arguments, pattern: pattern, matcher: "pcre",
                                          timeout: Self.replyTimeoutSeconds)
            } catch {
                logger.info("control: \(text): \(error)")
            }
            var found: [RunSummary.ControlOutcome] = []
            let at = scheduled.at.seconds
            let names = scheduled.destination
                ?? Array(Set(replies.map { String($0.hostname.prefix { $0 != "@" }) })).sorted()
            if names.isEmpty {
                found.append(RunSummary.ControlOutcome(atSeconds: at, control: text, worker: "every worker", status: "none", reply: ""))
            }
            for name in names {
                guard let reply = replies.first(where: { $0.hostname.hasPrefix(name + "@") }) else {
                    // A shutdown never replies (as Celery); any other silence is a node that did not answer.
                    found.append(RunSummary.ControlOutcome(atSeconds: at, control: text, worker: name, status: "none", reply: ""))
                    continue
                }
                let (status, message) = Self.describe(reply.value)
                found.append(RunSummary.ControlOutcome(atSeconds: at, control: text, worker: name, status: status, reply: message))
                logger.info("control: \(text) -> \(reply.hostname): \(status): \(message)")
            }
            lock.withLock { outcomes += found.map { (index, $0) } }
        }
        thread.start()
    }

    /// The core control a scheduled one stands for now: a revoke by arrival index is the id the
    /// publisher gave (or will give) that arrival; a revoke of a queued name is the ids of that
    /// name in the broker's lists now.
    private func resolve(_ command: ScenarioControl) -> WorkerControl {
        switch command {
        case let .control(control):
            return control
        case let .revokeArrival(index, terminate):
            let ids = publishedIDs.indices.contains(index) ? [publishedIDs[index]] : []
            return .revoke(taskIDs: ids, terminate: terminate, signal: nil)
        case let .revokeQueued(name, terminate):
            return .revoke(taskIDs: queuedIDs(named: name), terminate: terminate, signal: nil)
        }
    }

    private func queuedIDs(named name: String) -> [String] {
        guard let connection = try? RedisConnection(url: url, connectTimeout: 5, commandTimeout: 5) else { return [] }
        defer { connection.close() }
        var ids: [String] = []
        for key in listKeys {
            guard let items = (try? connection.command("LRANGE", key, "0", "-1"))?.arrayValue else { continue }
            for item in items {
                guard let bytes = item.bytes, let message = try? TaskMessage.decode(bytes), message.task == name else { continue }
                ids.append(message.id)
            }
        }
        return ids
    }

    /// `{"ok": text}` / `{"error": text}` as (status, text), like the simulator's outcomes.
    static func describe(_ value: JSONValue) -> (String, String) {
        if let ok = value["ok"]?.stringValue { return ("ok", ok) }
        if let error = value["error"]?.stringValue { return ("error", error) }
        return ("ok", value.serializedString())
    }
}
