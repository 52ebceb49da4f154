import Schedules
import WorkerCore
import Yams

/// The `schedule:` section: a schedule file's content (read by `readSchedule`, the reader
/// `lovage beat --schedule` uses) plus the keys that say how the simulated beats run — `start_at`,
/// `beats`, `lock`, `lock_timeout`, `max_interval`. Checked against the rest of the scenario before
/// anything runs: every entry's task must be a declared task type, and its queue one a worker
/// group consumes, exactly as the load's tasks are held to it.
extension ScenarioBuilder {
    func readScenarioSchedule(_ node: Node) -> ScenarioSchedule? {
        let allowed = ScheduleSpec.topLevelKeys + ScenarioSchedule.simulationKeys
        guard let top = reader.fields(node, "schedule", allowed: allowed,
                                      expected: "a mapping with entries (and timezone, start_at, beats, lock, ...)") else { return nil }
        var schedule = ScenarioSchedule(spec: readSchedule(top))
        if let node = top["start_at"], let text = reader.string(node, top.path("start_at"), expected: "an ISO 8601 instant") {
            if let micros = InstantText.parse(text) {
                schedule.startAtMicros = micros
            } else {
                reader.fail(node, top.path("start_at"),
                            expected: "an ISO 8601 instant with its zone, like 2026-12-04T01:50:00Z or 2026-12-04T02:50:00+01:00",
                            found: quoted(text))
            }
        }
        if let node = top["lock"], let lock = reader.bool(node, top.path("lock")) { schedule.lock = lock }
        if let node = top["lock_timeout"], let span = reader.duration(node, top.path("lock_timeout"), positive: true) {
            if span.microseconds < 3_000 {
                reader.fail(node, top.path("lock_timeout"), expected: "a lock expiry of at least 3ms (beats renew it every third)",
                            found: DurationText.format(span))
            } else {
                schedule.lockTimeoutMicros = span.microseconds
            }
        }
        if let node = top["max_interval"], let span = reader.duration(node, top.path("max_interval"), positive: true) {
            schedule.maxIntervalMicros = span.microseconds
        }
        if let node = top["beats"] { schedule.beats = readBeats(node, top.path("beats")) ?? schedule.beats }
        return schedule
    }

    /// `beats: 2`, or one mapping per beat: `beats: [{}, {clock_offset: -20s}, {lock: false}]`.
    func readBeats(_ node: Node, _ path: String) -> [BeatSpec]? {
        if case .sequence(let items) = node {
            return items.enumerated().compactMap { index, item in
                reader.fields(item, KeyPathText.index(path, index), allowed: BeatSpec.keys,
                              expected: "a beat {lock, clock_offset}").map(readBeatSpec)
            }
        }
        guard let count = reader.int(node, path, in: 0...100,
                                     expected: "a number of beats from 0 to 100, or a list of beats like [{clock_offset: 30s}, {lock: false}]")
        else { return nil }
        return Array(repeating: BeatSpec(), count: count)
    }

    /// A beat's `lock` and `clock_offset` (in `beats:` and in a `start_beat` fault).
    func readBeatSpec(_ fields: Fields) -> BeatSpec {
        var beat = BeatSpec()
        if let node = fields["lock"] { beat.lock = reader.bool(node, fields.path("lock")) }
        if let node = fields["clock_offset"], let offset = signedDuration(node, fields.path("clock_offset")) {
            beat.clockOffsetMicros = offset
        }
        return beat
    }

    /// A duration that may be negative (`-30s`: behind): microseconds.
    func signedDuration(_ node: Node, _ path: String) -> Int64? {
        let text = node.scalarText?.trimmed(" \t") ?? ""
        if node.tagName == .str, text.hasPrefix("-") {
            guard let span = DurationText.parse(String(text.dropFirst())) else {
                reader.fail(node, path, expected: "a signed duration like 30s or -1m30s", node)
                return nil
            }
            return -span.microseconds
        }
        if let value = reader.numericValue(node), value < 0 { return Int64((value * 1_000_000).rounded()) }
        return reader.duration(node, path)?.microseconds
    }

    /// Every entry's task is a declared task type, and goes to a queue a worker group consumes (or one
    /// in `unconsumed_queues`): its `options.queue`, else its task type's queue or route (which the
    /// tasks' own check covers).
    /// `declared` is every task name in `tasks:`, including one whose other keys are wrong (that is
    /// reported there; naming it here is not a second mistake).
    func checkSchedule(_ schedule: ScenarioSchedule, node: Node, declared names: [String], fleet: [WorkerGroupSpec]?,
                       excused: [String]) {
        guard case .mapping(let top) = node, let entriesNode = top.first(where: { $0.key.scalarText == "entries" })?.value,
              case .mapping(let entries) = entriesNode else { return }
        var consumed: [String] = []
        for group in fleet ?? [] { for queue in group.queues where !consumed.contains(queue) { consumed.append(queue) } }
        for entry in schedule.spec.entries {
            guard let entryNode = entries.first(where: { $0.key.scalarText == entry.name })?.value,
                  case .mapping(let fields) = entryNode else { continue }
            let entryPath = KeyPathText.child("schedule.entries", entry.name)
            let taskNode = fields.first { $0.key.scalarText == "task" }?.value
            guard names.contains(entry.task) else {
                reader.fail(taskNode ?? entryNode, KeyPathText.child(entryPath, "task"),
                            expected: "a task declared in tasks (\(names.joined(separator: ", ")))",
                            found: "unknown task \(quoted(entry.task))" + NearestName.hint(for: entry.task, among: names))
                continue
            }
            // Without options.queue the entry goes where its task type goes, which the tasks' own
            // check holds to a consumed queue already.
            guard fleet != nil, let queue = entry.options.queue, !consumed.contains(queue), !excused.contains(queue),
                  let options = fields.first(where: { $0.key.scalarText == "options" })?.value, case .mapping(let inner) = options
            else { continue }
            let queueNode = inner.first { $0.key.scalarText == "queue" }?.value
            reader.fail(queueNode ?? options, KeyPathText.child(KeyPathText.child(entryPath, "options"), "queue"),
                        expected: "a queue that a worker group consumes", found: quoted(queue),
                        message: "entry \(quoted(entry.name)) sends \(quoted(entry.task)) by its options.queue to queue \(quoted(queue)), which no worker group consumes (consumed: "
                            + consumed.map(quoted).joined(separator: ", ") + ")."
                            + (NearestName.suggestion(for: queue, among: consumed).map { " Did you mean \(quoted($0))?" } ?? "")
                            + " If no worker is meant to take it, list it in unconsumed_queues.")
        }
    }
}
