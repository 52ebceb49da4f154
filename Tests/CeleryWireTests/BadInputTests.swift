import Testing
import CeleryWire

/// Malformed input must produce a WireError with the right code and a reason naming the field —
/// never a crash.
@Suite("Bad input")
struct BadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var input: [UInt8]
        var code: WireError.Code
        /// Text the reason must contain.
        var mentions: String
        var testDescription: String { name }
    }

    /// A valid Celery message with parts replaced.
    static func message(body: String = #"[[2, 3], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"#,
                        rawBody: String? = nil,
                        contentType: String = "application/json",
                        headers: String = #""lang": "py", "task": "app.add", "id": "abc""#,
                        eta: String = "null") -> [UInt8] {
        let encodedBody = rawBody ?? Base64.encode(Array(body.utf8))
        let text = #"{"body": "\#(encodedBody)", "content-encoding": "utf-8", "content-type": "\#(contentType)", "headers": {\#(headers), "eta": \#(eta)}, "properties": {"correlation_id": "abc", "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "t1"}}"#
        return Array(text.utf8)
    }

    static let cases: [Case] = [
        Case(name: "empty input", input: [], code: .truncated, mentions: "empty input"),
        Case(name: "whitespace only", input: Array("  \n".utf8), code: .truncated, mentions: "end of input"),
        Case(name: "truncated JSON", input: Array(message().prefix(120)), code: .truncated, mentions: "unexpected end of input at byte 120"),
        Case(name: "invalid JSON", input: Array(#"{"body": tru}"#.utf8), code: .invalidJSON, mentions: "invalid literal at byte 9"),
        Case(name: "trailing garbage", input: message() + Array(" x".utf8), code: .invalidJSON, mentions: "trailing data"),
        Case(name: "top-level array", input: Array("[1, 2]".utf8), code: .wrongType, mentions: "message: expected a JSON object"),
        Case(name: "bad base64 body", input: message(rawBody: "W1sy!!!"), code: .badBase64, mentions: "body: invalid base64 character at offset 4"),
        Case(name: "bad base64 padding", input: message(rawBody: "W1s"), code: .badBase64, mentions: "body: incorrect padding"),
        Case(name: "body not a 3-element array (object)", input: message(body: #"{"args": []}"#), code: .badBody,
             mentions: "body: expected a 3-element array [args, kwargs, embed], got object"),
        Case(name: "body not a 3-element array (2 elements)", input: message(body: "[[], {}]"), code: .badBody,
             mentions: "got 2-element array"),
        Case(name: "body args not an array", input: message(body: #"[{"x": 1}, {}, {}]"#), code: .badBody,
             mentions: "body[0] (args): expected array, got object"),
        Case(name: "body kwargs not an object", input: message(body: "[[], [], {}]"), code: .badBody,
             mentions: "body[1] (kwargs): expected object"),
        Case(name: "body embed not an object", input: message(body: "[[], {}, 5]"), code: .badBody,
             mentions: "body[2] (embed)"),
        Case(name: "body is not JSON", input: message(body: "[[1, 2"), code: .truncated, mentions: "body: JSON: unexpected end of input"),
        Case(name: "missing headers.id", input: message(headers: #""lang": "py", "task": "app.add""#), code: .missingField,
             mentions: "headers.id: missing"),
        Case(name: "missing headers.task", input: message(headers: #""lang": "py", "id": "abc""#), code: .missingField,
             mentions: "headers.task: missing"),
        Case(name: "task not a string", input: message(headers: #""task": 42, "id": "abc""#), code: .wrongType,
             mentions: "headers.task: expected string, got int"),
        Case(name: "empty task id", input: message(headers: #""task": "app.add", "id": """#), code: .badValue,
             mentions: "headers.id: empty"),
        Case(name: "retries not an int", input: message(headers: #""task": "a", "id": "b", "retries": "1""#), code: .wrongType,
             mentions: "headers.retries"),
        Case(name: "timelimit malformed", input: message(headers: #""task": "a", "id": "b", "timelimit": [1]"#), code: .wrongType,
             mentions: "headers.timelimit"),
        Case(name: "pickle content type", input: message(contentType: "application/x-python-serialize"), code: .refusedContentType,
             mentions: "refused: pickle is never decoded"),
        Case(name: "pickle content type with bad body", input: message(rawBody: "gASV!!!", contentType: "application/x-python-serialize"),
             code: .refusedContentType, mentions: "pickle"),
        Case(name: "yaml content type", input: message(contentType: "application/x-yaml"), code: .refusedContentType,
             mentions: "refused: yaml is never decoded"),
        Case(name: "unknown content type", input: message(contentType: "application/x-msgpack"), code: .unsupportedContentType,
             mentions: "content-type: unsupported 'application/x-msgpack'"),
        Case(name: "bad eta timestamp", input: message(eta: #""tomorrow-ish""#), code: .badTimestamp,
             mentions: "headers.eta: malformed ISO 8601 timestamp 'tomorrow-ish'"),
        Case(name: "eta not a string", input: message(eta: "12"), code: .wrongType, mentions: "headers.eta: expected string or null, got int"),
        Case(name: "huge nesting depth", input: Array(String(repeating: "[", count: 100_000).utf8), code: .tooDeep,
             mentions: "nesting deeper than 512"),
        Case(name: "raw control character in string", input: Array("{\"a\": \"x\ny\"}".utf8), code: .invalidJSON,
             mentions: "control character U+000A"),
        Case(name: "bad escape", input: Array(#"{"a": "\q"}"#.utf8), code: .invalidJSON, mentions: "invalid escape"),
        Case(name: "invalid UTF-8", input: [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D], code: .invalidJSON,
             mentions: "invalid UTF-8"),
        Case(name: "missing properties", input: Array(#"{"body": "", "content-encoding": "utf-8", "content-type": "application/json", "headers": {}}"#.utf8),
             code: .missingField, mentions: "properties: missing"),
    ]

    @Test("each bad input gives the expected error", arguments: cases)
    func badInput(_ c: Case) {
        do {
            let m = try TaskMessage.decode(c.input)
            Issue.record("decoded unexpectedly: \(m.id)")
        } catch {
            #expect(error.code == c.code, "\(error)")
            #expect(error.reason.contains(c.mentions), "reason was: \(error.reason)")
        }
    }

    @Test("every truncation of a real capture fails cleanly")
    func truncations() throws {
        for prefix in ["16-", "21-", "45-"] {
            let raw = try Captures.bytes(Captures.named(prefix: prefix))
            for cut in 0..<raw.count {
                let slice = Array(raw[0..<cut])
                if prefix == "45-" {
                    #expect(throws: WireError.self) { try UnackedEntry.decode(slice) }
                } else {
                    #expect(throws: WireError.self) { try TaskMessage.decode(slice) }
                }
            }
        }
        for prefix in ["52-", "86-"] {
            let raw = try Captures.bytes(Captures.named(prefix: prefix))
            for cut in 0..<raw.count {
                let slice = Array(raw[0..<cut])
                #expect(throws: WireError.self) {
                    if prefix == "52-" { _ = try ResultDocument.decode(slice) } else { _ = try KombuEnvelope.decode(slice).jsonBody() }
                }
            }
        }
    }

    @Test("single-byte corruptions of a real capture never crash")
    func corruptions() throws {
        let raw = try Captures.bytes(Captures.named(prefix: "15-"))
        var decoded = 0
        for i in 0..<raw.count {
            for replacement: UInt8 in [0x00, 0x22, 0x5C, 0x7B, 0xFF] {
                var copy = raw
                copy[i] = replacement
                if (try? TaskMessage.decode(copy)) != nil { decoded += 1 }
            }
        }
        // Some corruptions stay valid (inside a string value); most must not.
        #expect(decoded < raw.count * 5)
    }

    @Test("refused content is never decoded, even through the envelope")
    func refusedEnvelope() throws {
        let envelope = KombuEnvelope(body: Array("not json at all".utf8), contentType: "application/x-python-serialize",
                                     contentEncoding: "binary", properties: ["body_encoding": "base64"])
        let bytes = envelope.encode()
        let decoded = try KombuEnvelope.decode(bytes)
        #expect(decoded == envelope)
        #expect(throws: WireError(.refusedContentType, "content-type: refused: pickle is never decoded (application/x-python-serialize)")) {
            try decoded.jsonBody()
        }
    }

    @Test("unsupported body encoding and content encoding")
    func encodings() {
        let gz = Array(#"{"body": "x", "content-encoding": "utf-8", "content-type": "application/json", "headers": {}, "properties": {"body_encoding": "gzip"}}"#.utf8)
        #expect(throws: WireError(.unsupportedBodyEncoding, "properties.body_encoding: unsupported 'gzip' (Kombu only uses base64)")) {
            try KombuEnvelope.decode(gz)
        }
        let latin = KombuEnvelope(body: Array("[]".utf8), contentEncoding: "latin-1")
        #expect(throws: WireError.self) { try latin.jsonBody() }
        #expect((try? latin.jsonBody()) == nil)
        do { _ = try latin.jsonBody() } catch { #expect(error.code == .unsupportedContentEncoding) }
    }
}
