import FleetRecording

/// A recording, read into everything a scenario needs: the attempts with their publish times,
/// the fleet's groups, one model per task name, the load, the host's hand-off costs and the
/// figures `--check` compares — with what could not be used, said.
public struct Calibration: Sendable {
    public var recording: Recording
    /// Time zero of the scenario, its trace and the throughput figures: the first publish seen
    /// (the recorder usually starts a while before; that idle lead-in is not the workload's).
    public var origin: Double
    public var end: Double
    public var clocks: ClockAlignment
    public var attempts: [RecordedAttempt]
    public var publish: PublishTimes.Outcome
    public var fleet: FleetModel
    public var tasks: [TaskModel]
    public var load: LoadModel
    public var host: HostEstimate
    public var figures: [CheckFigures]
    /// Chains found from `parent_id`: the child is published by the worker when the parent
    /// succeeds, so the scenario says `then` and the trace leaves the child out.
    public var chains: [(parent: String, child: String)]
    /// Groups found from `parent_id`: each success of the parent published a varying number of
    /// the child (`fan_out`), with the counts seen per parent; the trace leaves the child out.
    public var fanOuts: [(parent: String, child: String, counts: [Int])]
    /// Task names left out of the scenario, with the reason.
    public var leftOut: [(task: String, reason: String)]
    /// Things the user should know: skew, gaps, unmatched pushes, a cut-short file.
    public var notes: [String]

    public var seconds: Double { end - origin }
}

public enum Calibrator {
    /// Reads `recording` into a `Calibration`. Throws only when nothing usable is there (no task
    /// events at all); everything else that is wrong becomes a note.
    public static func calibrate(_ recording: Recording, windowSeconds: Double = 60) throws(RecordingError) -> Calibration {
        var notes = recording.problems
        let taskEvents = recording.events.filter { $0.type.hasPrefix("task-") }
        guard !taskEvents.isEmpty else {
            let workers = Set(recording.events.map(\.hostname)).count
            throw RecordingError("the recording holds no task events (\(recording.events.count) worker events from \(workers) node(s)): "
                                 + "no task ran while it recorded, or the workers' task events stayed off "
                                 + "(was the recorder run with --no-enable-events, or did enable_events get no answer?)")
        }
        let end = RecordingReader.endTime(of: recording)
        let clocks = ClockAlignment(events: recording.events)
        notes += clocks.report
        var reconstruction = AttemptReconstruction.attempts(from: recording.events, clocks: clocks)
        if reconstruction.orphanEvents > 0 {
            notes.append("\(reconstruction.orphanEvents) event(s) belong to tasks received before the recording began; those tasks are left out")
        }
        // Workers: nodes that receive tasks or beat as workers (a client sending task-sent events,
        // or a prefork child publishing a retry, is not one).
        let eventNodes = Array(Set(recording.events.filter { $0.type == "task-received" || $0.type.hasPrefix("worker-") }.map(\.hostname))).sorted()
        let fleet = FleetModel(snapshots: recording.fleet, eventNodes: eventNodes, watchedQueues: recording.header.queues)
        if !fleet.silentNodes.isEmpty {
            notes.append("node(s) \(fleet.silentNodes.joined(separator: ", ")) sent events but never answered the fleet survey: their settings are not known and they are not in the fleet")
        }
        fleet.assignQueues(&reconstruction.attempts, snapshots: recording.fleet, watchedQueues: recording.header.queues)
        let publish = PublishTimes.assign(&reconstruction.attempts, sent: reconstruction.sent, recording: recording,
                                          acksLate: fleet.groups.isEmpty || fleet.groups.allSatisfy(\.acksLate))
        if publish.unmatched > 0 {
            notes.append("\(publish.unmatched) receipt(s) could not be paired with a keyspace push (a notification was missed); they were timed from the queue lengths")
        }
        for gap in recording.gaps {
            notes.append("no data from " + String(format: "%.1f", gap.from - recording.header.startedAt) + " s to " + String(format: "%.1f", gap.to - recording.header.startedAt)
                         + " s into the recording (\(gap.reason)): tasks in that window are missing from the figures and the load")
        }
        var attempts = reconstruction.attempts
        var priorities: [String: Int] = [:]
        for snapshot in recording.fleet { for task in snapshot.reserved { if let priority = task.priority { priorities[task.id] = priority } } }
        var models = TaskModel.models(of: attempts, priorities: priorities)
        var leftOut: [(task: String, reason: String)] = []
        models.removeAll { model in
            guard case .unknown = model.duration else { return false }
            leftOut.append((model.name, "\(model.attempts) received, none seen finishing: its run time is unknown"))
            return true
        }
        let kept = Set(models.map(\.name))
        attempts.removeAll { !kept.contains($0.name) }

        let chains = findChains(models: models, attempts: attempts)
        let fanOuts = findFanOuts(models: models, attempts: attempts, taken: Set(chains.map(\.parent)))
        let chained = Set(chains.map(\.child) + fanOuts.map(\.child))
        var unknownPublish = 0
        var published: [(at: Double, task: String)] = []
        for attempt in attempts where attempt.retries == 0 && !chained.contains(attempt.name) {
            let at: Double
            if let time = attempt.publishedAt { at = time } else { at = attempt.receivedAt; unknownPublish += 1 }
            published.append((at, attempt.name))
        }
        let origin = published.map(\.at).min() ?? recording.header.startedAt
        let arrivals = published.map { LoadModel.Arrival(at: max(0, $0.at - origin), task: $0.task) }
        if unknownPublish > 0 {
            notes.append("\(unknownPublish) publish time(s) were not known and were taken as the task's receipt (their queue wait is understated)")
        }
        let load = LoadModel(arrivals: arrivals, duration: max(1, end - origin), windowSeconds: windowSeconds)
        return Calibration(
            recording: recording, origin: origin, end: end, clocks: clocks, attempts: attempts, publish: publish, fleet: fleet,
            tasks: models, load: load, host: HostEstimate(attempts: attempts, samples: recording.lengthSamples, concurrency: fleet.concurrencyByNode,
                               fetchInSlot: !fleet.groups.isEmpty && fleet.groups.allSatisfy { $0.acksLate && $0.prefetchMultiplier == 1 }),
            figures: CheckFigures.recorded(attempts, origin: origin), chains: chains, fanOuts: fanOuts, leftOut: leftOut, notes: notes)
    }

    /// A child name all of whose first deliveries have a parent of one name, about one child per
    /// parent success: a chain link (`then`). Fan-outs (many children per parent) stay in the trace.
    static func findChains(models: [TaskModel], attempts: [RecordedAttempt]) -> [(parent: String, child: String)] {
        var successes: [String: Int] = [:]
        for attempt in attempts where attempt.outcome == .succeeded { successes[attempt.name, default: 0] += 1 }
        var chains: [(String, String)] = []
        for model in models where model.parents.count == 1 {
            let (parent, children) = model.parents.first!
            let firsts = attempts.filter { $0.name == model.name && $0.retries == 0 }.count
            guard children == firsts, let parentSuccesses = successes[parent], parentSuccesses > 0 else { continue }
            let ratio = Double(children) / Double(parentSuccesses)
            if ratio > 0.95 && ratio < 1.05 { chains.append((parent, model.name)) }
        }
        return chains.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
    }

    /// A child name all of whose first deliveries have a parent of one name, more than one per
    /// parent success, with (almost) every success of the parent publishing some: a group
    /// (`fan_out`), with the number of children each parent published. A parent already followed
    /// by a chain link (`taken`) keeps only that: a task has `then` or `fan_out`, not both.
    static func findFanOuts(models: [TaskModel], attempts: [RecordedAttempt], taken: Set<String>)
        -> [(parent: String, child: String, counts: [Int])] {
        var successesByName: [String: Int] = [:]
        var nameByID: [String: String] = [:]
        for attempt in attempts {
            nameByID[attempt.id] = attempt.name
            if attempt.outcome == .succeeded { successesByName[attempt.name, default: 0] += 1 }
        }
        var out: [(String, String, [Int])] = []
        var used = taken
        for model in models where model.parents.count == 1 {
            let (parent, children) = model.parents.first!
            guard !used.contains(parent), let successes = successesByName[parent], successes > 0 else { continue }
            let firsts = attempts.filter { $0.name == model.name && $0.retries == 0 }
            guard children == firsts.count, Double(children) / Double(successes) >= 1.05 else { continue }
            var perParent: [String: Int] = [:]
            for child in firsts { if let id = child.parentID, nameByID[id] == parent { perParent[id, default: 0] += 1 } }
            guard Double(perParent.count) >= 0.95 * Double(successes) else { continue }
            out.append((parent, model.name, perParent.keys.sorted().map { perParent[$0]! }.sorted()))
            used.insert(parent)
        }
        return out.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { (parent: $0.0, child: $0.1, counts: $0.2) }
    }
}
