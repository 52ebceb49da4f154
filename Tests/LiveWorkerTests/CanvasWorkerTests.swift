import CeleryWire
import Foundation
import RedisClient
import PrivateRedis
import Testing

/// A `lovage worker` carrying out Celery canvas forms against a private Redis: the chain's next
/// step, link callbacks, link_error errbacks, the chord join, and a malformed embed dead-lettered.
@Suite("lovage worker: canvas", .serialized)
struct CanvasWorkerTests {
    static func sig(_ task: String, _ args: [JSONValue], id: String, immutable: Bool = false, options: JSONObject = [:]) -> JSONValue {
        var o = options
        o.set(.string(id), forKey: "task_id")
        return ["task": .string(task), "args": .array(args), "kwargs": [:], "options": .object(o), "subtask_type": .null,
                "immutable": .bool(immutable)]
    }

    static func push(_ connection: RedisConnection, _ task: String, _ args: [JSONValue], id: String, embed: TaskEmbed,
                     group: String? = nil, groupIndex: Int? = nil) throws {
        let m = TaskMessage.make(task: task, id: id, args: args, deliveryTag: "tag-\(id)", group: group, groupIndex: groupIndex,
                                 embed: embed)
        _ = try connection.command([Array("LPUSH".utf8), Array("celery".utf8), m.encode()])
    }

    static func document(_ connection: RedisConnection, _ id: String, timeout: Double = 15) throws -> JSONValue? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let bytes = try connection.command("GET", "celery-task-meta-\(id)").bytes {
                let doc = try JSONValue.parse(bytes)
                if doc["status"] != "STARTED" { return doc }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    @Test("chain, link (1 and 2 callbacks), link_error, chord join (ordered, failing member), malformed embed")
    func canvasForms() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-canvas-\(getpid()).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let worker = try LovageProcess.start(["worker", "-b", server.url.absoluteString, "-c", "2"], log: log)
        defer { if worker.isRunning { worker.terminate(); worker.waitUntilExit() } }
        #expect(LovageProcess.waitFor("ready.", in: log, timeout: 20))
        let c = try RedisConnection(url: server.url)

        // chain(add(1, 2), add.s(100), add.s(1000)): embed.chain reversed, the next step last.
        try Self.push(c, "lovage.add", [1, 2], id: "c1", embed: TaskEmbed(chain: [
            Self.sig("lovage.add", [1000], id: "c3"), Self.sig("lovage.add", [100], id: "c2")]))
        #expect(try Self.document(c, "c3")?["result"] == 1103)
        let c1 = try #require(try Self.document(c, "c1"))
        #expect(c1["children"] == [CanvasApplier.asTuple("c2")])
        #expect(try Self.document(c, "c2")?["children"] == [CanvasApplier.asTuple("c3")])

        // One callback, then two (a group).
        try Self.push(c, "lovage.add", [3, 4], id: "l0", embed: TaskEmbed(callbacks: [Self.sig("lovage.add", [1000], id: "l1")]))
        #expect(try Self.document(c, "l1")?["result"] == 1007)
        try Self.push(c, "lovage.add", [3, 4], id: "m0", embed: TaskEmbed(callbacks: [
            Self.sig("lovage.add", [1000], id: "m1"), Self.sig("lovage.add", [2000], id: "m2")]))
        #expect(try Self.document(c, "m1")?["result"] == 1007)
        #expect(try Self.document(c, "m2")?["result"] == 2007)
        let m0 = try #require(try Self.document(c, "m0"))
        let groupTuple = try #require(m0["children"]?[0])
        #expect(groupTuple[1] == [CanvasApplier.asTuple("m1"), CanvasApplier.asTuple("m2")])

        // link_error: the errback gets the failed task's id prepended.
        try Self.push(c, "lovage.fail", ["nope"], id: "f0", embed: TaskEmbed(errbacks: [Self.sig("lovage.echo", [], id: "e1")]))
        #expect(try Self.document(c, "f0")?["status"] == "FAILURE")
        #expect(try Self.document(c, "e1")?["result"] == "f0")

        // A chord of two members (size set as the client's apply_chord does); body gets [2, 4] in index order.
        _ = try c.command("SET", "celery-taskset-meta-g1.s", "2")
        let body1 = Self.sig("lovage.echo", [], id: "b1", options: ["group_id": "g1"])
        try Self.push(c, "lovage.add", [2, 2], id: "h2", embed: TaskEmbed(chord: body1), group: "g1", groupIndex: 1)
        try Self.push(c, "lovage.add", [1, 1], id: "h1", embed: TaskEmbed(chord: body1), group: "g1", groupIndex: 0)
        #expect(try Self.document(c, "b1")?["result"] == [2, 4])
        #expect(try c.command("EXISTS", "celery-taskset-meta-g1.j").integerValue == 0)

        // A failing member: ChordError as the body's FAILURE, the body's errback applied with its id.
        _ = try c.command("SET", "celery-taskset-meta-g2.s", "2")
        let body2 = Self.sig("lovage.echo", [], id: "b2", options: ["link_error": [Self.sig("lovage.echo", [], id: "be")]])
        try Self.push(c, "lovage.add", [1, 1], id: "k1", embed: TaskEmbed(chord: body2), group: "g2", groupIndex: 0)
        try Self.push(c, "lovage.fail", ["boom"], id: "k2", embed: TaskEmbed(chord: body2), group: "g2", groupIndex: 1)
        let b2 = try #require(try Self.document(c, "b2"))
        #expect(b2["status"] == "FAILURE")
        #expect(b2["result"]?["exc_type"] == "ChordError")
        #expect(b2["result"]?["exc_message"] == ["Dependency k2 raised RuntimeError('boom')"])
        #expect(try Self.document(c, "be")?["result"] == "b2")

        // celery.starmap (xstarmap, chunks): the named task inline per item; an unknown one is NotRegistered.
        let starKwargs: JSONObject = ["task": Self.sig("lovage.add", [], id: "x"), "it": [[1, 2], [3, 4]]]
        let star = TaskMessage.make(task: "celery.starmap", id: "s1", kwargs: starKwargs, deliveryTag: "tag-s1")
        _ = try c.command([Array("LPUSH".utf8), Array("celery".utf8), star.encode()])
        #expect(try Self.document(c, "s1")?["result"] == [3, 7])
        let unknown = TaskMessage.make(task: "celery.starmap", id: "s2",
                                       kwargs: ["task": Self.sig("app.nothere", [], id: "y"), "it": [[1]]], deliveryTag: "tag-s2")
        _ = try c.command([Array("LPUSH".utf8), Array("celery".utf8), unknown.encode()])
        #expect(try Self.document(c, "s2")?["result"]?["exc_type"] == "NotRegistered")

        // A malformed embed: dead-lettered with the path, never run.
        try Self.push(c, "lovage.add", [1, 1], id: "bad", embed: TaskEmbed(chain: [3]))
        let deadline = Date().addingTimeInterval(10)
        var record: [UInt8]?
        while record == nil && Date() < deadline {
            record = try c.command("LINDEX", "lovage.dead_letter", "0").bytes
            if record == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let reason = try #require(record.flatMap { try? JSONValue.parse($0) }?["reason"]?.stringValue)
        #expect(reason.contains("body[2].chain[0]: expected object"), "\(reason)")
        #expect(try c.command("GET", "celery-task-meta-bad").bytes == nil)
    }
}
