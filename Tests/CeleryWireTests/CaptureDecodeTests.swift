import Foundation
import Testing
import CeleryWire

/// Every wire value captured from real Celery 5.7 / Kombu 5.7 decodes with the right decoder and
/// re-encodes to the same JSON (and, where Celery wrote it, the same bytes).
@Suite("Captures: decode and re-encode")
struct CaptureDecodeTests {
    @Test("capture folder is found")
    func folderIsFound() throws {
        let dir = try Captures.directory()
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("01-plain-args-apply_async.json").path))
    }

    @Test("every capture decodes, re-encodes equal as JSON, bodies byte-identical")
    func everyCaptureRoundTrips() throws {
        let files = try Captures.wireFiles()
        var checked = 0
        for (name, kind) in files {
            let raw = try Captures.bytes(name)
            let original = try JSONValue.parse(raw)
            let reencoded: [UInt8]
            switch kind {
            case .task:
                let message = try TaskMessage.decode(raw)
                reencoded = message.encode()
                if let pretty = try Captures.prettyMessage(for: name) {
                    #expect(pretty["headers"]?["id"] == .string(message.id), "\(name): id")
                    #expect(pretty["headers"]?["task"] == .string(message.task), "\(name): task")
                    #expect(pretty["body"]?[0] == .array(message.args), "\(name): args")
                    #expect(pretty["body"]?[1] == .object(message.kwargs), "\(name): kwargs")
                }
                // The body must survive byte for byte.
                let envelope = try KombuEnvelope.decode(raw)
                #expect(message.bodyJSON().serialized() == envelope.body, "\(name): body bytes differ")
            case .event:
                let envelope = try KombuEnvelope.decode(raw)
                let body = try envelope.jsonBody()
                #expect(body.objectValue != nil || body.arrayValue != nil, "\(name): event body is JSON")
                if let pretty = try Captures.prettyMessage(for: name), let prettyBody = pretty["body"] {
                    // The pretty files had the capture host's paths rewritten (/tmp/celeryprobe → /srv/capture,
                    // visible in 86's traceback) while the raw base64 kept them; compare modulo that.
                    #expect(Self.normalizingPaths(body).isEquivalent(to: Self.normalizingPaths(prettyBody)),
                            "\(name): body differs from decoded-pretty")
                }
                #expect(body.serialized() == envelope.body, "\(name): body bytes differ after re-serialization")
                reencoded = envelope.encode()
            case .unacked:
                let entry = try UnackedEntry.decode(raw)
                _ = try entry.taskMessage()
                reencoded = entry.encode()
            case .result:
                reencoded = try ResultDocument.decode(raw).encode()
            }
            let again = try JSONValue.parse(reencoded)
            #expect(again.isEquivalent(to: original), "\(name): re-encoded JSON differs:\n\(text(reencoded))\n\(text(raw))")
            #expect(reencoded == raw, "\(name): re-encoded bytes differ:\n\(text(reencoded))\n\(text(raw))")
            checked += 1
        }
        #expect(checked >= 60, "only \(checked) capture files were checked; expected at least 60")
        #expect(files.filter { $0.kind == .task }.count >= 40)
        #expect(files.filter { $0.kind == .event }.count >= 9)
        #expect(files.filter { $0.kind == .result }.count >= 7)
    }

    static func normalizingPaths(_ v: JSONValue) -> JSONValue {
        switch v {
        case .string(let s): return .string(s.replacingOccurrences(of: "/tmp/celeryprobe/", with: "/srv/capture/"))
        case .array(let a): return .array(a.map(normalizingPaths))
        case .object(let o): return .object(JSONObject(o.map { ($0.key, normalizingPaths($0.value)) }))
        default: return v
        }
    }

    @Test("every *.body.json is re-serialized byte-identically")
    func bodyFilesRoundTrip() throws {
        let names = try Captures.fileNames().filter { $0.hasSuffix(".body.json") }
        #expect(names.count >= 40)
        for name in names {
            let raw = try Captures.bytes(name)
            let value = try JSONValue.parse(raw)
            #expect(value.serialized() == raw, "\(name):\n\(text(value.serialized()))\n\(text(raw))")
        }
    }

    @Test("message bodies match their *.body.json files")
    func bodiesMatchBodyFiles() throws {
        for (name, kind) in try Captures.wireFiles() where kind == .task {
            let bodyName = name.replacingOccurrences(of: ".json", with: ".body.json")
            guard try Captures.fileNames().contains(bodyName) else { continue }
            let envelope = try KombuEnvelope.decode(try Captures.bytes(name))
            #expect(envelope.body == (try Captures.bytes(bodyName)), "\(name)")
        }
    }

    @Test("decoded-pretty list keys agree with PriorityQueueKeys")
    func listKeysMatch() throws {
        var checked = 0
        for (name, kind) in try Captures.wireFiles() where kind == .task {
            let pretty = name.replacingOccurrences(of: ".json", with: ".decoded-pretty.json")
            guard try Captures.fileNames().contains(pretty) else { continue }
            let doc = try JSONValue.parse(try Captures.bytes(pretty))
            guard let hex = doc["redis_list_key_hex"]?.stringValue else { continue }
            let message = try TaskMessage.decode(try Captures.bytes(name))
            // Step 20 used priority_steps = list(range(10)); everything else the default steps.
            let steps = name.hasPrefix("20-") ? Array(0...9) : PriorityQueueKeys.defaultSteps
            let key = PriorityQueueKeys.listKey(queue: message.queue ?? "", priority: message.priority, steps: steps)
            #expect(key.utf8.map { String(format: "%02x", $0) }.joined() == hex, "\(name)")
            checked += 1
        }
        #expect(checked >= 30)
    }

    @Test("typed fields of selected captures")
    func typedFields() throws {
        let eta = try TaskMessage.decode(Captures.bytes(Captures.named(prefix: "04-")))
        #expect(eta.eta == "2026-11-29T03:09:49.700783+00:00")
        #expect(try eta.etaMicros == 1_795_921_789_700_783)

        let expires = try TaskMessage.decode(Captures.bytes(Captures.named(prefix: "06-")))
        #expect(expires.expires == "2026-11-29T03:10:39.892157+00:00")
        #expect(expires.extraProperties["expiration"] == "60000")

        let limits = try TaskMessage.decode(Captures.bytes(Captures.named(prefix: "14-")))
        #expect(limits.timeLimit == TimeLimit(hard: 30, soft: 20))

        let chain = try TaskMessage.decode(Captures.bytes(Captures.named(prefix: "15-")))
        #expect(chain.embed.chain.arrayValue?.count == 1)
        #expect(chain.embed.chain[0]?["task"] == "app.add")

        let link = try TaskMessage.decode(Captures.bytes(Captures.named(prefix: "16-")))
        #expect(link.embed.callbacks[0]?["args"] == [1000])
        #expect(link.embed.errbacks[0]?["immutable"] == true)

        let group = try TaskMessage.decode(Captures.bytes(Captures.named(prefix: "17-group-of-2-01")))
        #expect(group.group != nil)
        #expect(group.groupIndex == 1)

        let shadow = try TaskMessage.decode(Captures.bytes(Captures.named(prefix: "18-")))
        #expect(shadow.shadow == "add-shadow-name")
        #expect(shadow.shouldIgnoreResult)
        #expect(shadow.extraHeaders.keys == ["x-custom"])
        #expect(shadow.argsrepr == "[2, 2]")

        let unicode = try TaskMessage.decode(Captures.bytes(Captures.named(prefix: "21-")))
        #expect(unicode.args[0] == "héllo ✓")
        #expect(unicode.ignoreResult == nil)

        let retry = try TaskMessage.decode(Captures.bytes(Captures.named(prefix: "41-")))
        #expect(retry.retries == 1)
        #expect(retry.parentID == retry.id)
        #expect(retry.extraProperties["origin"] == "gen12750@vm")

        let restored = try TaskMessage.decode(Captures.bytes(Captures.named(prefix: "62-")))
        #expect(restored.redelivered == true)
        #expect(restored.deliveryInfo?.redelivered == true)
    }
}
