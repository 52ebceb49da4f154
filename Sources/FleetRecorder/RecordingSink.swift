import CeleryWire
import FleetRecording
import Foundation

/// Where the recorder's threads put their lines: one lock around the writer and the running
/// counts the progress line and the footer show. The main loop flushes it once a second.
final class RecordingSink: @unchecked Sendable {
    private let lock = NSLock()
    private let writer: RecordingWriter
    private(set) var events = 0
    private var taskIDs = Set<String>()
    private var commandsByPart: [String: Int] = [:]
    private var writeFailure: RecordingError?

    init(writer: RecordingWriter) { self.writer = writer }

    func append(_ line: JSONObject) { lock.withLock { writer.append(line) } }

    /// An event line; counts events and distinct task ids.
    func appendEvent(_ fields: JSONObject, receivedAt: Double) {
        lock.withLock {
            writer.append(RecordingLines.event(receivedAt: receivedAt, fields: fields))
            events += 1
            if let id = fields["uuid"]?.stringValue, fields["type"]?.stringValue == "task-received" { taskIDs.insert(id) }
        }
    }

    /// The Redis commands a part of the recorder has sent so far (it reports its running total).
    func setCommands(_ count: Int, part: String) { lock.withLock { commandsByPart[part] = count } }

    /// For the progress line: what is buffered is counted at a typical 8:1 compression.
    var totals: (events: Int, tasks: Int, commands: Int, compressedBytes: Int) {
        lock.withLock { (events, taskIDs.count, commandsByPart.values.reduce(0, +), writer.compressedBytes + writer.pendingBytes / 8) }
    }

    func flush() {
        lock.withLock {
            do throws(RecordingError) { try writer.flush() } catch { if writeFailure == nil { writeFailure = error } }
        }
    }

    /// The first write error, if any (the disk filled, the directory vanished).
    var failure: RecordingError? { lock.withLock { writeFailure } }

    func close() throws(RecordingError) {
        let result: Result<Void, RecordingError> = lock.withLock {
            do throws(RecordingError) { try writer.close(); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    var sizes: (raw: Int, compressed: Int, lines: Int) { lock.withLock { (writer.rawBytes, writer.compressedBytes, writer.lines) } }
}

/// The recording's sample lines, gaps and command counts from the queue sampler.
extension RecordingSink: QueueLengthConsumer {
    func consumeLengths(_ sample: QueueLengthSample, steps: [Int]) { append(RecordingLines.lengths(sample, steps: steps)) }
    func consumeGap(_ gap: RecordingGap) { append(RecordingLines.gap(gap)) }
    func consumeCommandCount(_ count: Int, part: String) { setCommands(count, part: part) }
}

/// The event tap's consumer for a recording: events redacted as `--keep-args` says, pushes and
/// gaps as lines.
final class RecordedEvents: FleetEventConsumer {
    private let sink: RecordingSink
    private let keepArgs: Bool

    init(sink: RecordingSink, keepArgs: Bool) {
        self.sink = sink
        self.keepArgs = keepArgs
    }

    func consumeEvent(_ event: JSONObject, receivedAt: Double) {
        sink.appendEvent(EventPrivacy.redact(event, keepArgs: keepArgs), receivedAt: receivedAt)
    }
    func consumePush(_ push: QueuePush) { sink.append(RecordingLines.push(push)) }
    func consumeGap(_ gap: RecordingGap) { sink.append(RecordingLines.gap(gap)) }
    func consumeCommandCount(_ count: Int, part: String) { sink.setCommands(count, part: part) }
}
