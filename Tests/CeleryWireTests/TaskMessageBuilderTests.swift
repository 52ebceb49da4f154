import Testing
import CeleryWire

@Suite("TaskMessage builders: make, the next attempt of a retry, the redelivered mark, unacked")
struct TaskMessageBuilderTests {
    static func capture(_ prefix: String) throws -> (raw: [UInt8], message: TaskMessage) {
        let raw = try Captures.bytes(Captures.named(prefix: prefix))
        return (raw, try TaskMessage.decode(raw))
    }

    @Test("nextAttempt() from capture 12 equals capture 41, and again equals 44")
    func retryMatchesWorker() throws {
        let original = try Self.capture("12-").message
        let (raw41, m41) = try Self.capture("41-")
        let eta41 = try m41.etaMicros
        let built = original.nextAttempt(retries: 1, eta: eta41, deliveryTag: try #require(m41.deliveryTag),
                                         origin: "gen12750@vm")
        let encoded = built.encode()
        #expect(try JSONValue.parse(encoded).isEquivalent(to: JSONValue.parse(raw41)), "\(text(encoded))")
        #expect(encoded == raw41, "\(text(encoded))\n\(text(raw41))")
        #expect(built == m41)

        let (raw44, m44) = try Self.capture("44-")
        let eta44 = try m44.etaMicros
        let second = built.nextAttempt(retries: 2, eta: eta44, deliveryTag: try #require(m44.deliveryTag))
        #expect(second.encode() == raw44, "\(text(second.encode()))")
        #expect(second.retries == 2)
    }

    @Test("Redelivery.mark reproduces the restored message (capture 62), and marking again changes nothing")
    func redelivered() throws {
        let (raw62, m62) = try Self.capture("62-")
        var fresh = m62
        fresh.redelivered = nil
        fresh.deliveryInfo?.redelivered = nil
        let plain = fresh.encode()
        #expect(!text(plain).contains("redelivered"))
        // A message that never carried the flags: marking appends them where Kombu does.
        var message = try #require(try JSONValue.parse(plain).objectValue)
        Redelivery.mark(&message)
        let marked = JSONValue.object(message).serialized()
        #expect(marked == raw62, "\(text(marked))")
        #expect(try TaskMessage.decode(marked) == m62)
        // Restored a second time (another sweep), the flags stay where they are.
        Redelivery.mark(&message)
        #expect(JSONValue.object(message).serialized() == raw62)
    }

    @Test("make() reproduces apply_async and send_task messages byte-identically")
    func makeMatchesCelery() throws {
        let (raw01, m01) = try Self.capture("01-")
        let built01 = TaskMessage.make(task: "app.add", id: m01.id, args: [2, 3], deliveryTag: try #require(m01.deliveryTag),
                                       replyTo: m01.replyTo, origin: m01.origin)
        #expect(built01.encode() == raw01, "\(text(built01.encode()))")

        let (raw03, m03) = try Self.capture("03-")
        let built03 = TaskMessage.make(task: "app.add", id: m03.id, args: [1], kwargs: ["y": 2],
                                       deliveryTag: try #require(m03.deliveryTag), replyTo: m03.replyTo,
                                       origin: m03.origin, ignoreResult: nil, argsAsTuple: false)
        #expect(built03.encode() == raw03, "\(text(built03.encode()))")

        let (raw06, m06) = try Self.capture("06-")
        let built06 = TaskMessage.make(task: "app.add", id: m06.id, args: [60, 60], deliveryTag: try #require(m06.deliveryTag),
                                       replyTo: m06.replyTo, origin: m06.origin, expires: try m06.expiresMicros,
                                       expirationMillis: 60000)
        #expect(built06.encode() == raw06, "\(text(built06.encode()))")

        let (raw11, m11) = try Self.capture("11-")
        let built11 = TaskMessage.make(task: "app.add", id: m11.id, args: [9, 9], queue: "dify", priority: 9,
                                       deliveryTag: try #require(m11.deliveryTag), replyTo: m11.replyTo, origin: m11.origin)
        #expect(built11.encode() == raw11, "\(text(built11.encode()))")

        let (raw14, m14) = try Self.capture("14-")
        let built14 = TaskMessage.make(task: "app.add", id: m14.id, args: [1, 1], deliveryTag: try #require(m14.deliveryTag),
                                       replyTo: m14.replyTo, origin: m14.origin, timeLimit: TimeLimit(hard: 30, soft: 20))
        #expect(built14.encode() == raw14, "\(text(built14.encode()))")

        let (raw18, m18) = try Self.capture("18-")
        let built18 = TaskMessage.make(task: "app.add", id: m18.id, args: [2, 2], deliveryTag: try #require(m18.deliveryTag),
                                       replyTo: m18.replyTo, origin: m18.origin, shadow: "add-shadow-name",
                                       ignoreResult: true, argsAsTuple: false, extraHeaders: ["x-custom": "hello"])
        #expect(built18.encode() == raw18, "\(text(built18.encode()))")
    }

    @Test("make() with eta writes Celery's timestamp form")
    func makeWithETA() throws {
        let (raw04, m04) = try Self.capture("04-")
        let built = TaskMessage.make(task: "app.add", id: m04.id, args: [10, 10], deliveryTag: try #require(m04.deliveryTag),
                                     replyTo: m04.replyTo, origin: m04.origin, eta: try m04.etaMicros)
        #expect(built.encode() == raw04)
    }

    @Test("unacked triple (45) decodes to the slow task and re-encodes identically")
    func unacked() throws {
        let raw = try Captures.bytes(Captures.named(prefix: "45-"))
        let entry = try UnackedEntry.decode(raw)
        #expect(entry.exchange == "")
        #expect(entry.routingKey == "celery")
        #expect(entry.message.deliveryTag == "0df0f167-67a7-419f-a5d5-9b217854c2b6")
        let task = try entry.taskMessage()
        #expect(task.task == "app.slow")
        #expect(task.args == [4])
        #expect(entry.encode() == raw)
        // Rebuilding the triple from the typed message gives the same bytes.
        let rebuilt = UnackedEntry(message: task.envelope(), exchange: "", routingKey: "celery")
        #expect(rebuilt.encode() == raw)
    }

    @Test("edits to a decoded message land in place")
    func editsKeepOrder() throws {
        var m = try Self.capture("01-").message
        m.eta = "2030-01-01T00:00:00+00:00"
        m.extraHeaders["x-trace"] = "abc"
        let headers = m.headersJSON()
        #expect(headers.keys.firstIndex(of: "eta") == 4)
        #expect(headers.keys.last == "x-trace")
        #expect(headers["eta"] == "2030-01-01T00:00:00+00:00")
    }

    @Test("a minimal message keeps absent headers absent")
    func minimalMessage() throws {
        let body = Base64.encode(Array(#"[[1], {}, {}]"#.utf8))
        let raw = #"{"body": "\#(body)", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"task": "t", "id": "i"}, "properties": {"body_encoding": "base64"}}"#
        let m = try TaskMessage.decode(Array(raw.utf8))
        #expect(m.lang == nil && m.retries == 0 && m.timeLimit == .unlimited && m.stamps == nil)
        #expect(text(m.encode()) == raw)
    }
}
