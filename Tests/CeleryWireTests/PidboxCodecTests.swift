import Foundation
import Testing
import CeleryWire

/// Celery's remote control (captures in `Fixtures/celery-wire/pidbox`, Celery 5.7 with Kombu 5.7):
/// every captured request and reply decodes, and re-encoded from its decoded fields gives the
/// captured bytes, so a Python client reads Lovage's replies and Lovage reads Python's requests.
@Suite("Remote-control (pidbox) codec")
struct PidboxCodecTests {
    static func lines(_ suffix: String) throws -> [(file: String, line: [UInt8])] {
        let folder = try Captures.directory().appendingPathComponent("pidbox")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(suffix) }.sorted()
        return try names.flatMap { name in
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            return text.split(separator: "\n").map { (name, Array($0.utf8)) }
        }
    }

    @Test("every captured request re-encodes to its bytes")
    func requests() throws {
        let all = try Self.lines(".request.json")
        #expect(all.count >= 60)
        for (file, raw) in all {
            let request = try PidboxRequest.decode(raw)
            let tag = try #require(try KombuEnvelope.decode(raw).deliveryTag)
            let bytes = request.encode(deliveryTag: tag)
            #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: raw, as: UTF8.self), "\(file)")
        }
    }

    @Test("every captured reply re-encodes to its bytes")
    func replies() throws {
        let all = try Self.lines(".reply.json")
        #expect(all.count >= 50)
        for (file, raw) in all {
            let envelope = try KombuEnvelope.decode(raw)
            let replies = try PidboxReply.decode(raw)
            let reply = try #require(replies.first)
            #expect(replies.count == 1, "\(file)")
            let key = try #require(envelope.properties["delivery_info"]?["routing_key"]?.stringValue)
            let bytes = reply.encode(routingKey: key, deliveryTag: try #require(envelope.deliveryTag))
            #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: raw, as: UTF8.self), "\(file)")
        }
    }

    @Test("a request's fields: ping with a ticket, a cast without, a destination, a pattern")
    func fields() throws {
        let ping = try PidboxRequest.decode(try Captures.bytes("pidbox/01-inspect-ping.request.json").dropLastNewline())
        #expect(ping.method == "ping")
        #expect(ping.ticket == "9aa46caa-6dae-44ea-a886-56f52159940a")
        #expect(ping.replyTo == .init(exchange: "reply.celery.pidbox", routingKey: "e599ae85-c678-3dbc-8b5f-afea01eda0ff"))
        #expect(ping.clock == 1)
        #expect(ping.expires == 1796286859.8895047)
        #expect(ping.isAddressed(to: "anyone@host"))

        let cast = try PidboxRequest.decode(try Captures.bytes("pidbox/49-control-ping-noreply-cast.request.json").dropLastNewline())
        #expect(!cast.wantsReply)
        #expect(cast.ticket == nil)

        let one = try PidboxRequest.decode(try Captures.bytes("pidbox/42-inspect-ping-destination-cw1.request.json").dropLastNewline())
        #expect(one.destination == ["cw1@vm"])
        #expect(one.isAddressed(to: "cw1@vm"))
        #expect(!one.isAddressed(to: "cw2@vm"))

        let glob = try PidboxRequest.decode(try Captures.bytes("pidbox/47-control-ping-pattern-glob.request.json").dropLastNewline())
        #expect(glob.pattern == "cw2@*" && glob.matcher == "glob")
        #expect(glob.isAddressed(to: "cw2@vm"))
        #expect(!glob.isAddressed(to: "cw1@vm"))

        let pcre = try PidboxRequest.decode(try Captures.bytes("pidbox/48-control-ping-pattern-pcre.request.json").dropLastNewline())
        #expect(pcre.isAddressed(to: "cw1@vm") && pcre.isAddressed(to: "cw2@vm"))
        #expect(!pcre.isAddressed(to: "cw3@vm"))
    }

    @Test("expiry is read from headers.expires")
    func expiry() {
        let request = PidboxRequest(method: "ping", expires: 1000.5)
        #expect(request.isExpired(nowSeconds: 1001))
        #expect(!request.isExpired(nowSeconds: 1000))
        #expect(!PidboxRequest(method: "ping").isExpired(nowSeconds: 1e12))
    }

    @Test("names on Redis, as captured")
    func names() {
        #expect(PidboxNames.requestChannel(database: 0) == "/0.celery.pidbox")
        #expect(PidboxNames.nodeQueue(hostname: "cw1@vm") == "cw1@vm.celery.pidbox")
        #expect(PidboxNames.bindingSet(exchange: PidboxNames.requestExchange()) == "_kombu.binding.celery.pidbox")
        #expect(PidboxNames.bindingMember(routingKey: "", queue: "cw1@vm.celery.pidbox") == "\u{06}\u{16}\u{06}\u{16}cw1@vm.celery.pidbox")
        let member = PidboxNames.bindingMember(routingKey: "oid-1", queue: PidboxNames.replyQueue(oid: "oid-1"))
        #expect(PidboxNames.queue(ofBindingMember: member, routingKey: "oid-1") == "oid-1.reply.celery.pidbox")
        #expect(PidboxNames.queue(ofBindingMember: member, routingKey: "oid-2") == nil)
    }

    @Test("malformed requests name the field")
    func malformed() {
        let noMethod = KombuEnvelope(body: Array(#"{"arguments": {}}"#.utf8), properties: ["body_encoding": "base64"]).encode()
        #expect(throws: WireError.self) { try PidboxRequest.decode(noMethod) }
        do { _ = try PidboxRequest.decode(noMethod) } catch { #expect(error.description.contains("body.method")) }
        let badDestination = KombuEnvelope(body: Array(#"{"method": "ping", "destination": 5}"#.utf8),
                                           properties: ["body_encoding": "base64"]).encode()
        do { _ = try PidboxRequest.decode(badDestination); Issue.record("accepted") } catch {
            #expect(error.description.contains("body.destination"))
        }
        #expect(throws: WireError.self) { try PidboxRequest.decode(Array("not json".utf8)) }
    }
}

extension Array where Element == UInt8 {
    func dropLastNewline() -> [UInt8] { last == 10 ? Array(dropLast()) : self }
}
