import CeleryWire
import Foundation
import Logging
import LovageLogging
import PrivateRedis
import RedisClient
import Testing
@testable import FleetRecorder
@testable import FleetRecording

/// `lovage record`'s recorder against a real redis-server: events and queue lengths land in the
/// recording, private fields do not, and a broker that goes away mid-recording leaves a gap and a
/// recording that carries on once it is back.
struct RecorderTests {
    static func publish(_ event: CeleryEvent, _ connection: RedisConnection) throws {
        let payload = EventEnvelope.encode(event, deliveryTag: UUID().uuidString)
        _ = try connection.command([Array("PUBLISH".utf8), Array(EventEnvelope.channel(database: 0, routingKey: "task.received").utf8), payload])
    }

    /// The limit only guards against a hang: alone the test takes about 9 s, but once in a full
    /// parallel `swift test` on two cores it ran past 60 s (every wait in it is bounded; its
    /// threads share the cores with the suites that block on their own servers).
    @Test(.timeLimit(.minutes(3))) func aBrokerRestartMidRecordingIsAGapAndTheRecordingCarriesOn() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let dir = NSTemporaryDirectory() + "lovage-recorder-\(UUID().uuidString)"
        var options = RecorderOptions(url: server.url, directory: dir)
        options.durationSeconds = 7
        options.sampleIntervalSeconds = 0.02
        let logs = LogRecords()
        let recorder = FleetRecorder(options: options, logger: CollectingLogHandler.logger(label: "lovage.record", records: logs), progress: { _ in })
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var summary: RecorderSummary?; var error: Error? }
        let box = Box()
        Thread.detachNewThread {
            do { box.summary = try recorder.run(shouldStop: { false }) } catch { box.error = error }
            done.signal()
        }
        let client = try RedisConnection(url: server.url)
        _ = try client.command("LPUSH", "celery", "m1", "m2", "m3")
        Thread.sleep(forTimeInterval: 2.0)   // ping (1 s) and the subscription
        let stamp = { (clock: Int) in CeleryEvent.Stamp(hostname: "w1@a", utcoffset: 0, pid: 9, clock: clock, timestamp: Date().timeIntervalSince1970) }
        try Self.publish(.taskReceived(stamp(1), uuid: "before", name: "app.mail", argsrepr: "('alice@example.com',)", kwargsrepr: "{}",
                                       rootID: nil, parentID: nil, retries: 0, eta: nil, expires: nil), client)
        Thread.sleep(forTimeInterval: 0.5)
        try server.restart()
        Thread.sleep(forTimeInterval: 1.5)   // the recorder reconnects within 0.5 s of the server answering
        let again = try RedisConnection(url: server.url)
        try Self.publish(.taskReceived(stamp(2), uuid: "after", name: "app.mail", argsrepr: "()", kwargsrepr: "{}",
                                       rootID: nil, parentID: nil, retries: 0, eta: nil, expires: nil), again)
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(box.error == nil, "\(String(describing: box.error))")
        let summary = try #require(box.summary)
        #expect(summary.reason == "duration reached" && summary.events == 2 && summary.tasks == 2)

        let recording = try RecordingReader.read(dir)
        #expect(recording.problems.isEmpty, "\(recording.problems)")
        #expect(recording.events.map { $0.fields["uuid"]?.stringValue ?? "" } == ["before", "after"])
        #expect(recording.events.allSatisfy { $0.fields["args"] == nil && $0.fields["kwargs"] == nil })
        #expect(recording.lengthSamples.first?.lengths.first { $0.queue == "celery" && $0.step == 0 }?.length == 3)
        #expect(recording.gaps.count >= 1, "no gap: \(logs.lines.joined(separator: "\n"))")
        #expect(recording.gaps.allSatisfy { $0.to > $0.from && $0.to - $0.from < 3 })
        #expect(logs.lines.joined(separator: "\n").contains("marked as a gap"))
        #expect(recording.footer?.redisCommands ?? 0 > 100)
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func anUnreachableBrokerIsReportedBeforeAnythingIsWritten() throws {
        let port = try LoopbackPort.free()
        let dir = NSTemporaryDirectory() + "lovage-recorder-\(UUID().uuidString)"
        let recorder = FleetRecorder(options: RecorderOptions(url: try RedisURL.parse("redis://127.0.0.1:\(port)/0"), directory: dir),
                                     logger: Logger(label: "lovage.record") { _ in SwiftLogNoOpLogHandler() }, progress: { _ in })
        do { _ = try recorder.run(shouldStop: { true }); Issue.record("recorded from nothing") } catch {
            #expect(error.description.contains("cannot reach the broker at redis://127.0.0.1:\(port)/0"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir))
    }

    @Test func keyspaceFlagsAddListEventsToWhatIsSet() {
        #expect(KeyspaceNotifications.withListEvents("") == "Kl")
        #expect(KeyspaceNotifications.withListEvents("Ex") == "ExKl")
        #expect(KeyspaceNotifications.withListEvents("AKE") == "AKE")
        #expect(KeyspaceNotifications.withListEvents("Kl") == "Kl")
    }
}
