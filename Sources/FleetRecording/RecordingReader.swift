#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CeleryWire

/// Reads `DIR/recording.jsonl.gz` (or a path to the file itself) into a `Recording`.
///
/// What cannot be read is said, and what can is kept: a partial last gzip member (a recorder
/// killed mid-write), a line that is not JSON or lacks a field (by its line number), and a missing
/// footer (the recorder did not finish) become `problems`; only a file with no header at all, or
/// one that is not gzip from its first byte, is refused.
public enum RecordingReader {
    public static func read(_ location: String) throws(RecordingError) -> Recording {
        let path = location.hasSuffix(".gz") ? location : location + "/" + RecordingWriter.fileName
        let data = try readFile(path)
        guard !data.isEmpty else { throw RecordingError("\(path) is empty: the recorder wrote nothing (it stopped before its first flush)") }
        let decoded = GzipMembers.decompress(data)
        if decoded.members == 0 {
            throw RecordingError("\(path) is not a gzip recording" + (decoded.corruptAt != nil ? " (corrupt from byte 0)" : " (cut short in its first second)"))
        }
        return try parse(decoded.bytes, path: path, decoded: decoded)
    }

    /// Parses the uncompressed JSON lines.
    public static func parse(_ bytes: [UInt8], path: String, decoded: GzipMembers.Decoded? = nil) throws(RecordingError) -> Recording {
        var recording: Recording?
        var problems: [String] = []
        var badLines: [Int] = []
        var lineNumber = 0
        var start = 0
        var lastTime = 0.0
        func complain(_ text: String) { if problems.count < 50 { problems.append(text) } }
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            lineNumber += 1
            defer { start = end + 1 }
            if end == start { continue }
            guard let value = try? bytes[start..<end].withUnsafeBufferPointer({ (b) throws(WireError) -> JSONValue in try JSONValue.parse(b) }), let line = value.objectValue,
                  let kind = line["kind"]?.stringValue else {
                badLines.append(lineNumber)
                continue
            }
            if kind == "header" {
                guard recording == nil else { complain("line \(lineNumber): a second header (ignored)"); continue }
                guard let started = line["started_at"]?.doubleValue else {
                    throw RecordingError("\(path):\(lineNumber): the header has no started_at")
                }
                recording = Recording(header: header(line, startedAt: started))
                lastTime = started
                continue
            }
            guard recording != nil else {
                throw RecordingError("\(path): the first line is not a recording header (found \(quoted(kind)) at line \(lineNumber)); is this a lovage recording?")
            }
            switch kind {
            case "event":
                guard let at = line["received_at"]?.doubleValue, let event = line["event"]?.objectValue,
                      let parsed = recordedEvent(event, receivedAt: at) else { badLines.append(lineNumber); continue }
                recording!.events.append(parsed)
                lastTime = max(lastTime, at)
            case "lengths":
                guard let at = line["at"]?.doubleValue, let queues = line["queues"]?.objectValue else { badLines.append(lineNumber); continue }
                var lengths: [QueueLength] = []
                for (queue, value) in queues {
                    for (index, length) in (value.arrayValue ?? []).enumerated() where index < recording!.header.prioritySteps.count {
                        lengths.append(QueueLength(queue: queue, step: recording!.header.prioritySteps[index], length: Int(length.intValue ?? 0)))
                    }
                }
                recording!.lengthSamples.append(QueueLengthSample(at: at, lengths: lengths, unacked: line["unacked"]?.intValue.map { Int($0) }))
                lastTime = max(lastTime, at)
            case "push":
                guard let at = line["at"]?.doubleValue, let queue = line["queue"]?.stringValue else { badLines.append(lineNumber); continue }
                recording!.pushes.append(QueuePush(at: at, queue: queue, step: Int(line["step"]?.intValue ?? 0), op: line["op"]?.stringValue ?? "lpush"))
            case "fleet":
                guard let at = line["at"]?.doubleValue, let node = line["node"]?.stringValue else { badLines.append(lineNumber); continue }
                let reserved = (line["reserved"]?.arrayValue ?? []).compactMap { item -> ReservedTask? in
                    guard let task = item.objectValue, let id = task["id"]?.stringValue else { return nil }
                    return ReservedTask(id: id, name: task["name"]?.stringValue ?? "?", queue: task["queue"]?.stringValue,
                                        priority: task["priority"]?.intValue.map { Int($0) })
                }
                recording!.fleet.append(FleetSnapshot(
                    at: at, node: node, stats: line["stats"]?.objectValue,
                    activeQueues: (line["active_queues"]?.arrayValue ?? []).compactMap(\.stringValue), conf: line["conf"]?.objectValue,
                    registered: (line["registered"]?.arrayValue ?? []).compactMap(\.stringValue), reserved: reserved))
            case "gap":
                guard let from = line["from"]?.doubleValue, let to = line["to"]?.doubleValue else { badLines.append(lineNumber); continue }
                recording!.gaps.append(RecordingGap(from: from, to: to, reason: line["reason"]?.stringValue ?? ""))
            case "note":
                recording!.notes.append(RecordingNote(at: line["at"]?.doubleValue ?? lastTime, text: line["text"]?.stringValue ?? ""))
            case "footer":
                recording!.footer = RecordingFooter(
                    endedAt: line["ended_at"]?.doubleValue ?? lastTime, reason: line["reason"]?.stringValue ?? "",
                    events: Int(line["events"]?.intValue ?? 0), tasks: Int(line["tasks"]?.intValue ?? 0),
                    redisCommands: Int(line["redis_commands"]?.intValue ?? 0), commandsPerSecond: line["commands_per_second"]?.doubleValue ?? 0)
            default:
                complain("line \(lineNumber): unknown line kind \(quoted(kind)) (ignored; written by a newer lovage?)")
            }
        }
        guard var result = recording else { throw RecordingError("\(path) holds no recording header: it is empty or not a lovage recording") }
        if !badLines.isEmpty {
            let shown = badLines.prefix(5).map(String.init).joined(separator: ", ")
            problems.insert("\(badLines.count) line(s) could not be read and were skipped (line \(shown)\(badLines.count > 5 ? ", ..." : ""))", at: 0)
        }
        if let decoded, decoded.truncatedTailBytes > 0 {
            problems.append("the file ends in a partial write (\(decoded.truncatedTailBytes) bytes): the recorder was stopped mid-flush; everything before it is kept")
        }
        if let decoded, let at = decoded.corruptAt {
            problems.append("the file is corrupt from byte \(at); the \(decoded.members) member(s) before it are kept")
        }
        if result.footer == nil {
            problems.append("the recording has no footer: the recorder did not finish (killed or crashed); what it wrote up to "
                            + String(format: "%.1f", lastTime - result.header.startedAt) + " s is used")
        }
        result.problems = problems
        return result
    }

    /// The end of the recording: its footer's end, or the last time anything was written.
    public static func endTime(of recording: Recording) -> Double {
        if let footer = recording.footer { return footer.endedAt }
        let times = [recording.events.last?.receivedAt, recording.lengthSamples.last?.at, recording.fleet.last?.at].compactMap { $0 }
        return times.max() ?? recording.header.startedAt
    }

    static func header(_ line: JSONObject, startedAt: Double) -> RecordingHeader {
        var header = RecordingHeader(startedAt: startedAt)
        header.version = Int(line["version"]?.intValue ?? 1)
        header.lovage = line["lovage"]?.stringValue ?? ""
        header.broker = line["broker"]?.stringValue ?? ""
        header.database = Int(line["database"]?.intValue ?? 0)
        header.queues = (line["queues"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let steps = line["priority_steps"]?.arrayValue?.compactMap({ $0.intValue.map { Int($0) } }), !steps.isEmpty { header.prioritySteps = steps }
        header.sampleIntervalMs = line["sample_interval_ms"]?.doubleValue ?? header.sampleIntervalMs
        header.keyspaceEvents = line["keyspace_events"]?.boolValue ?? false
        header.keepArgs = line["keep_args"]?.boolValue ?? false
        header.eventsEnabledByRecorder = (line["events_enabled_by_recorder"]?.arrayValue ?? []).compactMap(\.stringValue)
        return header
    }

    /// An event object as a worker sent it; nil without a type or hostname.
    public static func recordedEvent(_ event: JSONObject, receivedAt: Double) -> RecordedEvent? {
        guard let type = event["type"]?.stringValue, let hostname = event["hostname"]?.stringValue else { return nil }
        return RecordedEvent(receivedAt: receivedAt, type: type, hostname: hostname,
                             timestamp: event["timestamp"]?.doubleValue ?? receivedAt, utcoffset: event["utcoffset"]?.doubleValue ?? 0,
                             clock: Int(event["clock"]?.intValue ?? 0), pid: Int(event["pid"]?.intValue ?? 0), fields: event)
    }

    static func quoted(_ s: String) -> String { "\"" + s + "\"" }

    static func readFile(_ path: String) throws(RecordingError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw RecordingError("cannot read \(path): \(String(cString: strerror(errno)))"
                                 + (errno == ENOENT ? " (is this the directory `lovage record --out` wrote?)" : ""))
        }
        defer { _ = closeDescriptor(descriptor) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { readBytes(descriptor, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw RecordingError("cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            data.append(contentsOf: chunk.prefix(n))
        }
        return data
    }

    private static func readBytes(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
#if canImport(Glibc)
        Glibc.read(fd, buffer, count)
#else
        Darwin.read(fd, buffer, count)
#endif
    }

    private static func closeDescriptor(_ fd: Int32) -> Int32 {
#if canImport(Glibc)
        Glibc.close(fd)
#else
        Darwin.close(fd)
#endif
    }
}
