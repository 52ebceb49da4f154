import CeleryWire
import FleetRecording
import Foundation
import Logging
import RedisClient
import RemoteControl

/// The remote-control side of the recorder: who is in the fleet, how each node is set up, and
/// turning task events on (and back off) where they were off.
///
/// Every request is one Celery broadcast on the `celery` mailbox (`inspect ping`, `stats`,
/// `active_queues`, `conf`, `registered`, `reserved`; `control enable_events`/`disable_events`),
/// answered by each node's pidbox consumer, not its task pool: nothing here touches a task queue.
/// `reserved` replies carry each reserved task's arguments; only its id, name, queue and priority
/// are kept.
final class FleetSurvey: @unchecked Sendable {
    private let client: MailboxClient
    private let sink: RecordingSink
    private let logger: Logger
    /// Nodes whose task events this recorder turned on (and so turns off at the end).
    private(set) var enabledByRecorder: [String] = []
    private(set) var nodes: [String] = []
    private(set) var queues: [String] = []

    init(url: RedisURL, sink: RecordingSink, logger: Logger) throws(RecordingError) {
        do { client = try MailboxClient(url: url) } catch {
            throw RecordingError("cannot reach the broker at \(url.redacted): \(error.message)")
        }
        self.sink = sink
        self.logger = logger
    }

    private func reportCommands() { sink.setCommands(client.commandsSent, part: "survey") }

    /// `inspect ping` to every node (waits the full second: any node may answer).
    func discover() throws(RecordingError) -> [String] {
        defer { reportCommands() }
        do {
            let replies = try client.call("ping", timeout: 1.0)
            for name in replies.map(\.hostname).sorted() where !nodes.contains(name) { nodes.append(name) }
            return replies.map(\.hostname).sorted()
        } catch {
            throw RecordingError("cannot ask the fleet who is there (inspect ping on \(client.url.redacted)): \(error.message)")
        }
    }

    /// Adds nodes learnt from events (a `worker-online`); returns those that are new.
    func adopt(_ names: [String]) -> [String] {
        let fresh = names.filter { !nodes.contains($0) }
        nodes.append(contentsOf: fresh)
        return fresh
    }

    /// `enable_events` to `targets`; returns the nodes that had them off ("task events enabled").
    func enableEvents(_ targets: [String]) -> [String] {
        guard !targets.isEmpty else { return [] }
        defer { reportCommands() }
        guard let replies = try? client.call("enable_events", destination: targets, timeout: 2.0) else {
            logger.info("record: enable_events got no answer; task events stay as they are")
            return []
        }
        var turnedOn: [String] = []
        for reply in replies.sorted(by: { $0.hostname < $1.hostname }) where reply.value["ok"]?.stringValue == "task events enabled" {
            turnedOn.append(reply.hostname)
            if !enabledByRecorder.contains(reply.hostname) { enabledByRecorder.append(reply.hostname) }
        }
        let silent = targets.filter { target in !replies.contains { $0.hostname == target } }
        if !silent.isEmpty { logger.info("record: no enable_events answer from \(silent.joined(separator: ", "))") }
        return turnedOn
    }

    /// `disable_events` to the nodes this recorder turned events on for.
    func restoreEvents() -> (restored: [String], failed: [String]) {
        guard !enabledByRecorder.isEmpty else { return ([], []) }
        defer { reportCommands() }
        let replies = (try? client.call("disable_events", destination: enabledByRecorder, timeout: 2.0)) ?? []
        let answered = replies.map(\.hostname)
        return (enabledByRecorder.filter(answered.contains), enabledByRecorder.filter { !answered.contains($0) })
    }

    /// One snapshot per node of `targets` (or every known node): its stats, queues, settings,
    /// registered tasks and reserved tasks, written to the recording unless `write` is false (the
    /// first survey is taken before the header can be written).
    @discardableResult
    func snapshot(_ targets: [String]? = nil, write: Bool = true) -> [FleetSnapshot] {
        let destination = targets ?? nodes
        guard !destination.isEmpty else { return [] }
        defer { reportCommands() }
        func ask(_ method: String) -> [String: JSONValue] {
            var byNode: [String: JSONValue] = [:]
            for reply in (try? client.call(method, destination: destination, timeout: 2.0)) ?? [] { byNode[reply.hostname] = reply.value }
            return byNode
        }
        let stats = ask("stats"), active = ask("active_queues"), conf = ask("conf"), registered = ask("registered"), reserved = ask("reserved")
        let at = Date().timeIntervalSince1970
        var snapshots: [FleetSnapshot] = []
        for node in destination.sorted() {
            let queueNames = (active[node]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            for queue in queueNames where !queues.contains(queue) { queues.append(queue) }
            let names = (registered[node]?.arrayValue ?? []).compactMap(\.stringValue).map { entry in
                // `registered` may append attributes: "app.add [rate_limit=10/s]".
                String(entry.prefix { $0 != " " })
            }
            let tasks = (reserved[node]?.arrayValue ?? []).compactMap { item -> ReservedTask? in
                guard let id = item["id"]?.stringValue else { return nil }
                let info = item["delivery_info"]
                return ReservedTask(id: id, name: item["name"]?.stringValue ?? item["type"]?.stringValue ?? "?",
                                    queue: info?["routing_key"]?.stringValue, priority: info?["priority"]?.intValue.map { Int($0) })
            }
            let snapshot = FleetSnapshot(at: at, node: node, stats: stats[node]?.objectValue, activeQueues: queueNames,
                                         conf: conf[node]?.objectValue, registered: names, reserved: tasks)
            if write { sink.append(RecordingLines.fleet(snapshot)) }
            snapshots.append(snapshot)
        }
        return snapshots
    }
}
