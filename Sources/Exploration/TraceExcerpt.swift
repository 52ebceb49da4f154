#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The records of a trace file that concern some tasks: their own events, the acknowledgements and
/// rejects of their delivery tags (which name the tag, not the task), and what happened to the
/// workers that held them (kills, stops, restarts).
///
/// The file is streamed line by line and only matching lines are parsed, so a long run's trace
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

    static let knownTasksKept = 5
    static let workerKinds: Set<String> = ["worker-start", "worker-kill", "worker-stopped", "worker-sigterm", "oom-kill", "oom-restart",
                                           "broker-down", "broker-up", "scale-down", "grace-over", "child-crash", "child-kill"]
    static let endKinds: Set<String> = ["task-succeeded", "task-failed", "task-revoked"]

    public static func read(path: String, tasks: [String]) throws -> TraceExcerpt {
        guard let file = fopen(path, "r") else { throw ReplayError("cannot read the trace \(path)") }
        defer { fclose(file) }
        let wanted = Set(tasks)
        var excerpt = TraceExcerpt(recordsByTask: [:], workerEvents: [], firstTaskIDs: [], lastFinishingTask: nil)
        var tagOwner: [String: String] = [:]
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(buffer) }
        var lineNumber = 0
        while getline(&buffer, &capacity, file) > 0, let buffer {
            lineNumber += 1
            let line = String(cString: buffer).dropLast()
            guard var record = Self.interesting(line, wanted: wanted, tagOwner: tagOwner, excerpt: excerpt) else { continue }
            record.sequence = lineNumber
            if Self.workerKinds.contains(record.kind) { excerpt.workerEvents.append(record); continue }
            if let task = record["task"] {
                if record.kind == "publish", excerpt.firstTaskIDs.count < knownTasksKept { excerpt.firstTaskIDs.append(task) }
                if Self.endKinds.contains(record.kind) { excerpt.lastFinishingTask = task }
                guard wanted.contains(task) else { continue }
                if let tag = record["tag"] { tagOwner[tag] = task }
                excerpt.recordsByTask[task, default: []].append(record)
            } else if let tag = record["tag"], let task = tagOwner[tag] {
                excerpt.recordsByTask[task, default: []].append(record)
            }
        }
        return excerpt
    }

    /// Parses the line only when it may matter: a worker event, a wanted task's or tag's event, a
    /// publish (for the first ids) or an end (for the last task to finish).
    private static func interesting(_ line: Substring, wanted: Set<String>, tagOwner: [String: String], excerpt: TraceExcerpt) -> TraceRecord? {
        let cheap = line.contains("\"ev\":\"worker-") || line.contains("\"ev\":\"child-crash\"") || line.contains("\"ev\":\"child-kill\"") || line.contains("\"ev\":\"scale-down\"") || line.contains("\"ev\":\"grace-over\"") || line.contains("\"ev\":\"oom-") || line.contains("\"ev\":\"broker-")
            || line.contains("\"ev\":\"task-succeeded\"") || line.contains("\"ev\":\"task-failed\"")
            || line.contains("\"ev\":\"task-revoked\"")
            || (line.contains("\"ev\":\"publish\"") && excerpt.firstTaskIDs.count < knownTasksKept)
        if cheap { return TraceRecord(line: line) }
        guard let record = TraceRecord(line: line) else { return nil }
        if let task = record["task"], wanted.contains(task) { return record }
        if record["task"] == nil, let tag = record["tag"], tagOwner[tag] != nil { return record }
        return nil
    }
}

public struct ReplayError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
