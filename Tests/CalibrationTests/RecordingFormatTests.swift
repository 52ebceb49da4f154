import CeleryWire
import Foundation
import Testing
@testable import FleetRecording

/// The recording file: every line kind survives a write and a read; what a cut-short, corrupt or
/// foreign file still holds is kept and what is wrong with it is said.
struct RecordingFormatTests {
    static func directory() -> String {
        let path = NSTemporaryDirectory() + "lovage-recording-\(UUID().uuidString)"
        return path
    }

    static func header(at start: Double = 1_800_000_000) -> JSONObject {
        var header = RecordingHeader(startedAt: start)
        header.queues = ["dify"]
        return RecordingLines.header(header)
    }

    static func event(_ type: String, _ id: String, at: Double) -> JSONObject {
        ["hostname": "w1@a", "utcoffset": 0, "pid": 7, "clock": 3, "uuid": .string(id), "timestamp": .double(at), "type": .string(type)]
    }

    @Test func everyLineKindRoundTripsAndANaNIsWrittenAsNull() throws {
        let dir = Self.directory()
        let writer = try RecordingWriter(directory: dir)
        writer.append(Self.header())
        writer.append(RecordingLines.event(receivedAt: 1_800_000_001, fields: Self.event("task-received", "t1", at: 1_800_000_001)
            .merging(["name": "app.add", "runtime": .double(.nan)])))
        writer.append(RecordingLines.lengths(QueueLengthSample(at: 1_800_000_001.5, lengths: [QueueLength(queue: "dify", step: 0, length: 4),
                                                                                              QueueLength(queue: "dify", step: 6, length: 1)], unacked: 2),
                                             steps: [0, 3, 6, 9]))
        try writer.flush()
        writer.append(RecordingLines.push(QueuePush(at: 1_800_000_002, queue: "dify", step: 3, op: "lpush")))
        writer.append(RecordingLines.fleet(FleetSnapshot(at: 1_800_000_002, node: "w1@a", stats: ["pid": 7], activeQueues: ["dify"],
                                                         conf: ["task_acks_late": true], registered: ["app.add"],
                                                         reserved: [ReservedTask(id: "t2", name: "app.add", queue: "dify", priority: nil)])))
        writer.append(RecordingLines.gap(RecordingGap(from: 1_800_000_003, to: 1_800_000_004, reason: "connection lost")))
        writer.append(RecordingLines.note(RecordingNote(at: 1_800_000_004, text: "hello")))
        writer.append(RecordingLines.footer(RecordingFooter(endedAt: 1_800_000_005, reason: "duration reached", events: 1, tasks: 1,
                                                            redisCommands: 10, commandsPerSecond: 2)))
        try writer.close()
        let text = String(decoding: GzipMembers.decompress(Array(try Data(contentsOf: URL(fileURLWithPath: writer.path)))).bytes, as: UTF8.self)
        #expect(!text.contains("NaN") && text.contains("\"runtime\": null"))

        let recording = try RecordingReader.read(dir)
        #expect(recording.problems.isEmpty)
        #expect(recording.header.queues == ["dify"])
        #expect(recording.events.count == 1 && recording.events[0].type == "task-received" && recording.events[0].hostname == "w1@a")
        #expect(recording.events[0].clock == 3 && recording.events[0].pid == 7)
        #expect(recording.lengthSamples.count == 1 && recording.lengthSamples[0].unacked == 2)
        #expect(recording.lengthSamples[0].lengths.map(\.length) == [4, 0, 1, 0])
        #expect(recording.pushes.map(\.step) == [3])
        #expect(recording.fleet.count == 1 && recording.fleet[0].reserved.map(\.id) == ["t2"] && recording.fleet[0].activeQueues == ["dify"])
        #expect(recording.gaps.count == 1 && recording.notes.map(\.text) == ["hello"])
        #expect(recording.footer?.reason == "duration reached")
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func aFileCutShortMidFlushKeepsItsCompleteMembersAndSaysSo() throws {
        let dir = Self.directory()
        let writer = try RecordingWriter(directory: dir)
        writer.append(Self.header())
        writer.append(RecordingLines.event(receivedAt: 1_800_000_001, fields: Self.event("task-received", "t1", at: 1_800_000_001)))
        try writer.flush()
        let firstMember = writer.compressedBytes
        for k in 0..<50 { writer.append(RecordingLines.event(receivedAt: 1_800_000_002, fields: Self.event("task-started", "t\(k)", at: 1_800_000_002))) }
        try writer.close()
        let full = try Data(contentsOf: URL(fileURLWithPath: writer.path))
        try full.prefix(firstMember + (full.count - firstMember) / 2).write(to: URL(fileURLWithPath: writer.path))
        let recording = try RecordingReader.read(dir)
        #expect(recording.events.count == 1)
        #expect(recording.problems.contains { $0.contains("partial write") })
        #expect(recording.problems.contains { $0.contains("no footer") })
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func aCorruptMemberKeepsWhatCameBeforeIt() throws {
        let dir = Self.directory()
        let writer = try RecordingWriter(directory: dir)
        writer.append(Self.header())
        try writer.flush()
        let firstMember = writer.compressedBytes
        writer.append(RecordingLines.event(receivedAt: 1_800_000_001, fields: Self.event("task-received", "t1", at: 1_800_000_001)))
        try writer.close()
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: writer.path)))
        for index in (firstMember + 12)..<min(bytes.count, firstMember + 30) { bytes[index] ^= 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: writer.path))
        let recording = try RecordingReader.read(dir)
        #expect(recording.events.isEmpty)
        #expect(recording.problems.contains { $0.contains("corrupt from byte \(firstMember)") })
    }

    @Test func foreignEmptyMissingAndHeaderlessFilesAreRefusedByName() throws {
        #expect(throws: RecordingError.self) { try RecordingReader.read("/nonexistent/lovage-recording") }
        do { _ = try RecordingReader.read("/nonexistent/lovage-recording") } catch {
            #expect(error.description.contains("is this the directory `lovage record --out` wrote?"))
        }
        let dir = Self.directory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + RecordingWriter.fileName
        try Data().write(to: URL(fileURLWithPath: path))
        do { _ = try RecordingReader.read(dir); Issue.record("an empty file was read") } catch { #expect(error.description.contains("is empty")) }
        try Data("not gzip at all".utf8).write(to: URL(fileURLWithPath: path))
        do { _ = try RecordingReader.read(dir); Issue.record("a text file was read") } catch { #expect(error.description.contains("not a gzip recording")) }
        try Data(GzipMembers.compress(Array("{\"kind\": \"event\"}\n".utf8))).write(to: URL(fileURLWithPath: path))
        do { _ = try RecordingReader.read(dir); Issue.record("a headerless file was read") } catch {
            #expect(error.description.contains("not a recording header"))
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func badLinesAndUnknownKindsAreCountedByLineNumberAndSkipped() throws {
        let lines = [JSONValue.object(Self.header()).serializedString(), "{not json", JSONValue.object(RecordingLines.note(RecordingNote(at: 1, text: "a"))).serializedString(),
                     "{\"kind\": \"hologram\"}", "{\"kind\": \"event\", \"received_at\": 1}"]
        let recording = try RecordingReader.parse(Array((lines.joined(separator: "\n") + "\n").utf8), path: "x")
        #expect(recording.notes.count == 1)
        #expect(recording.problems.contains { $0.contains("2 line(s) could not be read") && $0.contains("line 2, 5") })
        #expect(recording.problems.contains { $0.contains("line 4: unknown line kind \"hologram\"") })
    }

    @Test func theWriterRefusesToOverwriteARecording() throws {
        let dir = Self.directory()
        let first = try RecordingWriter(directory: dir)
        try first.close()
        #expect(throws: RecordingError.self) { _ = try RecordingWriter(directory: dir) }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func privateFieldsAreDroppedAndExceptionsKeepOnlyTheirTypeUnlessAskedFor() {
        let event: JSONObject = ["uuid": "t", "args": "('alice@example.com',)", "kwargs": "{}", "result": "'secret'",
                                 "exception": "KeyError('alice@example.com')", "traceback": "Traceback ...", "name": "app.mail"]
        let kept = EventPrivacy.redact(event, keepArgs: false)
        #expect(kept.keys == ["uuid", "exception", "name"])
        #expect(kept["exception"]?.stringValue == "KeyError")
        #expect(EventPrivacy.redact(event, keepArgs: true) == event)
        #expect(EventPrivacy.exceptionType("celery.exceptions.Retry: Retry in 5s") == "Retry")
    }
}

extension JSONObject {
    func merging(_ other: JSONObject) -> JSONObject {
        var out = self
        for (key, value) in other { out.set(value, forKey: key) }
        return out
    }
}
