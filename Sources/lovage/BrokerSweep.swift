import CeleryWire
import Exploration
import Foundation
import LiveWorker
import RedisClient
import RemoteControl
import Reports
import Scenarios

/// Runs a sweep on a Celery fleet: every request is published as one `lovage.simulate` task
/// message (protocol v2, built as `lovage enqueue` builds it), and the results are polled from the
/// Redis result backend until every request that is still needed has one.
///
/// The caller decides which requests stop being needed (a plan's early stop, read in seed order),
/// so the gathered results are the local run's whatever order the workers finish in. A result from
/// a worker of another build, a failed task or a queue nobody consumes ends the sweep with an error
/// naming the cause; messages not consumed by then are taken off the queue so no worker runs them.
struct BrokerSweep {
    struct Settings {
        var brokerURL: RedisURL
        var backendURL: RedisURL
        var transport: BrokerTransportOptions
        var queue: String
        var stallSeconds: Double
        var showProgress: Bool
    }

    let settings: Settings
    /// What one request is, for progress and errors ("run", "seed batch").
    let unit: String

    /// Publishes `requests`, then hands each result's lines (one JSON string per seed) to
    /// `gathered` with the request's index as it arrives; `gathered` returns the indices of requests
    /// whose results are no longer needed. Returns when every needed request has its result.
    func run(_ requests: [SimulateTask.Request], gathered: (Int, [String]) throws -> [Int]) throws {
        let broker: RedisBroker
        let queueConnection: RedisConnection
        let backend: RedisConnection
        do {
            broker = try RedisBroker(url: settings.brokerURL, options: settings.transport)
            queueConnection = try RedisConnection(url: settings.brokerURL)
            backend = try RedisConnection(url: settings.backendURL)
        } catch {
            throw PlanError("cannot reach \(settings.brokerURL): \(error)")
        }
        let queueKey = PriorityQueueKeys.listKey(queue: settings.queue, priority: 0, steps: settings.transport.prioritySteps)
        let origin = "\(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)"
        var ids: [String] = []
        var bodies: [[UInt8]] = []
        for request in requests {
            let id = UUID().uuidString.lowercased()
            let message = TaskMessage.make(task: SimulateTask.name, id: id, args: [], kwargs: request.kwargs, queue: settings.queue,
                                           priority: 0, deliveryTag: UUID().uuidString.lowercased(), origin: origin,
                                           eta: nil, expires: nil, expirationMillis: nil, ignoreResult: nil, argsAsTuple: false)
            let body = message.encode()
            do { try broker.publish(body, queue: settings.queue, priority: 0) } catch {
                throw PlanError("cannot publish to \(settings.queue): \(error)")
            }
            ids.append(id)
            bodies.append(body)
        }
        var revokedIDs: [String] = []
        var mailbox: MailboxClient? = nil
        /// Runs an early stop made unnecessary are revoked at once (Celery's `control.revoke`, a
        /// broadcast every worker keeps in its revoked set), so no worker spends time on them while
        /// the sweep goes on; a worker that takes one discards it. Best effort: what is still queued
        /// when the sweep ends is taken off the queue anyway.
        func revoke(_ taskIDs: [String]) {
            guard !taskIDs.isEmpty else { return }
            revokedIDs += taskIDs
            if mailbox == nil { mailbox = try? MailboxClient(url: settings.brokerURL) }
            try? mailbox?.cast("revoke", arguments: ["task_id": .array(taskIDs.map(JSONValue.string))])
        }
        var pending = Set(requests.indices)
        var done = 0
        let started = Date()
        var lastChange = Date()
        var lastQueueLength: Int64 = -1
        defer {
            // Runs nobody needs any more (stopped early, or the sweep failed) are not left for the workers.
            let left = pending.sorted().map { [Array("LREM".utf8), Array(queueKey.utf8), Array("0".utf8), bodies[$0]] }
            _ = try? queueConnection.pipeline(left)
            // The REVOKED results the workers stored for runs revoked on the way.
            _ = try? backend.pipeline(revokedIDs.map { [Array("DEL".utf8), Array(RedisResultBackend.key(taskID: $0).utf8)] })
            if settings.showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
        while !pending.isEmpty {
            let order = pending.sorted()
            var arrived = false
            for batch in stride(from: 0, to: order.count, by: 500).map({ Array(order[$0..<min($0 + 500, order.count)]) }) {
                let reply: RedisReply
                do { reply = try backend.command(["MGET"] + batch.map { RedisResultBackend.key(taskID: ids[$0]) }) } catch {
                    throw PlanError("cannot read results from \(settings.backendURL): \(error)")
                }
                for (index, value) in zip(batch, reply.arrayValue ?? []) where pending.contains(index) {
                    guard let bytes = value.bytes, let document = try? ResultDocument.decode(bytes),
                          let state = TaskState(rawValue: document.status), state.isReady else { continue }
                    let lines = try accept(document, state: state, request: requests[index], id: ids[index])
                    pending.remove(index)
                    done += 1
                    arrived = true
                    _ = try? backend.command(["DEL", RedisResultBackend.key(taskID: ids[index])])
                    var unneeded: [String] = []
                    for other in try gathered(index, lines) where pending.remove(other) != nil {
                        done += 1
                        unneeded.append(ids[other])
                    }
                    revoke(unneeded)
                }
            }
            if pending.isEmpty { break }
            let queueLength = (try? queueConnection.command(["LLEN", queueKey]))?.integerValue ?? 0
            if arrived || queueLength != lastQueueLength {
                lastChange = Date()
                lastQueueLength = queueLength
            } else if queueLength > 0, Date().timeIntervalSince(lastChange) > settings.stallSeconds {
                throw PlanError("no result and no task taken from queue \(settings.queue) for \(Int(settings.stallSeconds)) s "
                    + "(\(queueLength) of \(requests.count) tasks still waiting on \(settings.brokerURL)): is a worker consuming it? "
                    + "Start one with `lovage worker -b \(settings.brokerURL) -Q \(settings.queue)`")
            }
            if settings.showProgress {
                let elapsed = Date().timeIntervalSince(started)
                FileHandle.standardError.write(Data(String(format: "\r\u{1B}[K%d/%d %@s done on the workers of %@, %d waiting on the queue, %.0f s elapsed",
                                                           done, requests.count, unit, settings.queue, queueLength, elapsed).utf8))
            }
            usleep(arrived ? 5_000 : 50_000)
        }
    }

    /// A ready result's lines, or the error that ends the sweep: a failed task, a malformed result,
    /// or a worker whose build is not this one.
    private func accept(_ document: ResultDocument, state: TaskState, request: SimulateTask.Request, id: String) throws -> [String] {
        let what = "\(unit) \(id) (\(request.settings.isEmpty ? "the scenario as written" : request.settings.joined(separator: " ")), seeds \(request.seeds.map(String.init).joined(separator: ",")))"
        guard state == .success else {
            let raw = document.result["exc_message"]
            let message = raw?.stringValue ?? raw?.arrayValue?.compactMap(\.stringValue).joined(separator: "; ") ?? ""
            throw PlanError("\(what) ended \(document.status) on a worker: \(document.result["exc_type"]?.stringValue ?? "error"): \(message)")
        }
        let worker = document.result["worker"]?.stringValue ?? "an unnamed worker"
        guard let build = document.result["build"]?.stringValue else {
            throw PlanError("\(what): the result from \(worker) names no build; it is not a lovage.simulate result")
        }
        guard build == BuildIdentity.current else {
            throw PlanError("\(what): worker \(worker) runs another build (\(build)) than this lovage (\(BuildIdentity.current)); "
                + "its results would not match a local run, so none are used. Run the same lovage build on every worker of \(settings.queue)")
        }
        guard let values = document.result[request.returns.rawValue]?.arrayValue, values.count == request.seeds.count else {
            throw PlanError("\(what): the result from \(worker) has no \(request.returns.rawValue) for its \(request.seeds.count) seeds")
        }
        let lines = values.compactMap(\.stringValue)
        guard lines.count == values.count else { throw PlanError("\(what): the result from \(worker) holds a line that is not a string") }
        return lines
    }
}

extension BrokerSweep {
    /// A plan's sweep on the fleet: one task per (configuration, seed), the results read back per
    /// configuration in seed order with the same early `stop` rule as `SweepRunner`, so the plan
    /// gets the same summaries. A stopped configuration's later seeds may already have run on some
    /// worker; their results are not used.
    func plan(file: String, configurations: [[ScenarioOverride]], seeds: [UInt64],
              stop: ([RunSummary]) -> Bool) throws -> [[RunSummary]] {
        let yaml = try readScenarioText(file)
        var requests: [SimulateTask.Request] = []
        for settings in configurations {
            for seed in seeds {
                requests.append(SimulateTask.Request(yaml: yaml, sourcePath: file, settings: settings.map(\.description),
                                                     seeds: [seed], returns: .figures, swarm: false))
            }
        }
        let decoder = SummaryFiles.decoder()
        var arrived = Array(repeating: [RunSummary?](repeating: nil, count: seeds.count), count: configurations.count)
        var final: [[RunSummary]?] = Array(repeating: nil, count: configurations.count)
        try run(requests) { index, lines in
            let configuration = index / seeds.count, offset = index % seeds.count
            guard final[configuration] == nil else { return [] }
            do { arrived[configuration][offset] = try decoder.decode(RunSummary.self, from: Data(lines[0].utf8)) } catch {
                throw PlanError("configuration \(requests[index].settings.joined(separator: " ")): unreadable summary for seed \(seeds[offset]): \(error)")
            }
            // The seeds so far in order, judged one at a time exactly as the local runner reads them.
            var prefix: [RunSummary] = []
            for summary in arrived[configuration] {
                guard let summary else { return [] }
                prefix.append(summary)
                if prefix.count < seeds.count, stop(prefix) { break }
            }
            final[configuration] = prefix
            // Every other seed of a finished configuration is no longer needed.
            return (0..<seeds.count).map { configuration * seeds.count + $0 }
        }
        return final.map { $0 ?? [] }
    }

    /// An exploration on the fleet: the seeds in batches of `batch`, outcomes in seed order.
    func explore(file: String, seeds: [UInt64], swarm: Bool, batch: Int) throws -> [SeedOutcome] {
        let yaml = try readScenarioText(file)
        let requests = stride(from: 0, to: seeds.count, by: batch).map {
            SimulateTask.Request(yaml: yaml, sourcePath: file, settings: [], seeds: Array(seeds[$0..<min($0 + batch, seeds.count)]),
                                 returns: .outcomes, swarm: swarm)
        }
        var outcomes = Array(repeating: [SeedOutcome](), count: requests.count)
        let decoder = JSONDecoder()
        try run(requests) { index, lines in
            outcomes[index] = try lines.map { line in
                do { return try decoder.decode(SeedOutcome.self, from: Data(line.utf8)) } catch {
                    throw PlanError("seed batch \(index): unreadable outcome: \(error)")
                }
            }
            return []
        }
        return outcomes.flatMap { $0 }
    }

    private func readScenarioText(_ file: String) throws -> String {
        // The very reading the local path does, so the workers parse the same text.
        do { return try ScenarioLoader.readFile(file) } catch { throw PlanError("\(error)") }
    }
}
