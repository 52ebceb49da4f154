import WorkerCore
import Yams

/// The beat faults of `faults:`: `kill_beat: N`, `restart_beat: N` (with `down_for`) and
/// `start_beat: {lock, clock_offset}`. Beats are numbered as they are named in the trace: the
/// schedule's `beats` are beat-1 … beat-B from the start, and each `start_beat` adds the next
/// number in file order. A kill or restart must name a beat that exists by then — one of the
/// first B, or one a `start_beat` at or before its time starts — as a worker fault must name a
/// worker of the fleet.
extension ScenarioBuilder {
    static let beatFaults = ["kill_beat", "restart_beat", "start_beat"]

    /// What the beat faults of one `faults:` list named, checked once the whole list is read.
    struct BeatFaultCheck {
        /// The schedule's beats at start; nil without a `schedule:`.
        let initialBeats: Int?
        /// Each `start_beat` in file order: its number, when, and its place in the list.
        var starts: [(number: Int, at: TimeSpan?, order: Int)] = []
        /// Each kill or restart: the number it names, when, where it was written.
        var references: [(number: Int, at: TimeSpan?, order: Int, node: Node, path: String)] = []

        var nextNumber: Int { (initialBeats ?? 0) + starts.count + 1 }
    }

    func readBeatFault(_ key: String, _ node: Node, _ path: String, fields: Fields, at: TimeSpan?,
                       check: inout BeatFaultCheck) -> FaultKind? {
        let order = check.starts.count + check.references.count
        if check.initialBeats == nil {
            reader.fail(fields.entry(key)?.keyNode, path, expected: "a schedule: for \(key) to act on", found: "no schedule",
                        message: "\(key) acts on a beat, and no beat runs without a schedule: section")
        }
        switch key {
        case "start_beat":
            let number = check.nextNumber
            check.starts.append((number, at, order))
            if node.tagName == .bool, node.bool == true { return .startBeat(number, BeatSpec()) }
            guard let beatFields = reader.fields(node, path, allowed: BeatSpec.keys,
                                                 expected: "a beat {lock, clock_offset} (or {} for the schedule's defaults)") else { return nil }
            return .startBeat(number, readBeatSpec(beatFields))
        default:
            guard let number = readBeatNumber(node, path) else { return nil }
            check.references.append((number, at, order, node, path))
            if key == "kill_beat" { return .killBeat(number) }
            var downFor = TimeSpan.zero
            if let node = fields["down_for"], let span = reader.duration(node, fields.path("down_for")) { downFor = span }
            return .restartBeat(number, downFor: downFor)
        }
    }

    /// `2`, or the beat's name `beat-2`.
    func readBeatNumber(_ node: Node, _ path: String) -> Int? {
        let expected = "a beat number like 1 (beat-1, the first of the schedule's beats)"
        if node.tagName == .int {
            return reader.int(node, path, in: 1...Int(Int32.max), expected: expected)
        }
        if let text = node.scalarText, node.tagName == .str, text.hasPrefix("beat-"), let number = Int(text.dropFirst(5)), number >= 1 {
            return number
        }
        reader.fail(node, path, expected: expected, node)
        return nil
    }

    /// Each kill or restart names a beat running by its time (file order breaks a tie in time, as
    /// the simulator applies faults of one instant in file order).
    func checkBeatReferences(_ check: BeatFaultCheck) {
        guard let initial = check.initialBeats else { return }
        for reference in check.references where reference.number > initial {
            let start = check.starts.first { $0.number == reference.number }
            let startsInTime: Bool = {
                guard let start else { return false }
                guard let startAt = start.at, let at = reference.at else { return true }
                return startAt < at || (startAt == at && start.order < reference.order)
            }()
            guard !startsInTime else { continue }
            let known = initial == 0 ? "none at start" : initial == 1 ? "beat-1" : "beat-1..beat-\(initial)"
            let started = check.starts.map { "beat-\($0.number)" + ($0.at.map { " from \(DurationText.format($0))" } ?? "") }
            let detail = started.isEmpty ? "" : "; started by start_beat: " + started.joined(separator: ", ")
            let found = start == nil ? "unknown beat beat-\(reference.number)"
                : "beat-\(reference.number), which a start_beat starts only later"
            reader.fail(reference.node, reference.path, expected: "a beat running by then (schedule.beats: \(known)\(detail))",
                        found: found)
        }
    }
}
