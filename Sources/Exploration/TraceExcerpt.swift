#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Simulation

/// The records of a trace file that concern some tasks: their own events, the acknowledgements and
/// rejects of their delivery tags (which name the tag, not the task), and what happened to the
/// workers that held them (kills, stops, restarts).
///
/// The file is streamed line by line and only matching records are kept, so a long run's trace
/// costs a pass over the file, not its size in memory.
public struct TraceExcerpt: Sendable {
    /// Per task id asked for, its records in trace order.
    public var recordsByTask: [String: [TraceRecord]]
    /// Worker life events (start, kill, stop, OOM) in trace order.
    public var workerEvents: [TraceRecord]
    /// Every task id in the trace that had a publish record, in order, up to `knownTasksKept`.
    public var firstTaskIDs: [String]
    /// The id of the task whose last record is the latest in the run (for a liveness story).
    public var lastFinishingTask: String?

    /// The `"ev"` texts of records whose kind this build does not know, each once, in the order
    /// they first appear: a trace from another version is read, and what it could not tell is said.
    public var unknownKinds: [String]

    static let knownTasksKept = 5

    public static func read(path: String, tasks: [String]) throws -> TraceExcerpt {
        guard let file = fopen(path, "r") else { throw ReplayError("cannot read the trace \(path)") }
        defer { fclose(file) }
        let wanted = Set(tasks)
        var excerpt = TraceExcerpt(recordsByTask: [:], workerEvents: [], firstTaskIDs: [], lastFinishingTask: nil, unknownKinds: [])
        var tagOwner: [String: String] = [:]
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(buffer) }
        var lineNumber = 0
        while getline(&buffer, &capacity, file) > 0, let buffer {
            lineNumber += 1
            let line = String(cString: buffer).dropLast()
            guard var record = TraceRecord(line: line) else { continue }
            record.sequence = lineNumber
            if record.kind == nil, !excerpt.unknownKinds.contains(record.kindText) { excerpt.unknownKinds.append(record.kindText) }
            if record.kind?.isWorkerEvent == true { excerpt.workerEvents.append(record); continue }
            if let task = record["task"] {
                if record.kind == .publish, excerpt.firstTaskIDs.count < knownTasksKept { excerpt.firstTaskIDs.append(task) }
                if record.endsTask { excerpt.lastFinishingTask = task }
                guard wanted.contains(task) else { continue }
                if let tag = record["tag"] { tagOwner[tag] = task }
                excerpt.recordsByTask[task, default: []].append(record)
            } else if let tag = record["tag"], let task = tagOwner[tag] {
                excerpt.recordsByTask[task, default: []].append(record)
            }
        }
        return excerpt
    }
}

public struct ReplayError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
