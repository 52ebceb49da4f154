import Testing
@testable import CeleryWire

/// `TaskMessage.decodeDirect` (bytes straight into fields) must give exactly what the tree decoder
/// gives — the same message, re-encoding to the same bytes — or nil, leaving the tree decoder to
/// decide and word the error.
@Suite("Task messages decoded without a JSON tree")
struct DirectDecodeTests {
    /// The tree decoder's verdict on `raw`: the message's bytes re-encoded, or the error.
    private func treeVerdict(_ raw: [UInt8]) -> Result<[UInt8], WireError> {
        Result { () throws(WireError) -> [UInt8] in try TaskMessage.decode(json: try JSONValue.parse(raw)).encode() }
    }

    private func expectSameAsTree(_ raw: [UInt8], _ label: String, directExpected: Bool? = nil) {
        let direct = TaskMessage.decodeDirect(raw)
        if let directExpected { #expect((direct != nil) == directExpected, "\(label): direct path \(directExpected ? "not " : "")taken") }
        guard let direct else { return }
        guard case .success(let bytes) = treeVerdict(raw) else {
            Issue.record("\(label): the direct path accepted a message the tree decoder refuses")
            return
        }
        #expect(direct == (try? TaskMessage.decode(json: JSONValue.parse(raw))), "\(label)")
        #expect(direct.encode() == bytes, "\(label): re-encoded bytes differ")
    }

    @Test("every Celery-made task message is taken directly, and decodes as through the tree")
    func capturesDecodeTheSame() throws {
        var checked = 0
        for (name, kind) in try Captures.wireFiles() where kind == .task {
            let raw = try Captures.bytes(name)
            guard case .success = treeVerdict(raw) else { continue }
            expectSameAsTree(raw, name, directExpected: true)
            checked += 1
        }
        #expect(checked >= 20, "task captures checked: \(checked)")
    }

    @Test("variants the common case does not cover go through the tree; none is decoded differently",
          arguments: [
              // A repeated header: Python's json keeps the last value in the first position.
              (#""headers": {"#, #""headers": {"id": "first", "#, false),
              // A repeated top-level key.
              (#""content-encoding": "utf-8""#, #""content-encoding": "utf-8", "content-encoding": "utf-8""#, false),
              // An unknown top-level key, kept by the tree decoder.
              (#""content-type""#, #""x-extra": [1, {"a": null}], "content-type""#, false),
              // Extra headers and properties, kept in order.
              (#""lang": "py""#, #""x-trace": "abc", "lang": "py", "x-more": {"k": [1, 2]}"#, true),
              (#""correlation_id""#, #""x-prop": 1.5, "correlation_id""#, true),
              // Whitespace of every kind between tokens.
              (#""headers": {"#, "\"headers\"\n\t :\r\n {  ", true),
              // Escapes in strings.
              (#""lang": "py""#, #""lang": "p\u0079", "x-escaped": "gen\"1\\@host \u00e9\ud83d\ude00""#, true),
              // Wrong types and missing fields: errors, which only the tree decoder words.
              (#""retries": 0"#, #""retries": "0""#, false),
              (#""task": "#, #""tusk": "#, false),
              (#""body_encoding": "base64""#, #""body_encoding": "base32""#, false),
              (#""content-type": "application/json""#, #""content-type": "application/x-python-serialize""#, false),
              (#""body": ""#, #""body": "!!!"#, false),
          ] as [(String, String, Bool)])
    func variantsDecodeTheSame(find: String, replace: String, direct: Bool) throws {
        let original = String(decoding: try Captures.bytes("01-plain-args-apply_async.json"), as: UTF8.self)
        #expect(original.contains(find), "the capture holds \(find)")
        guard let range = original.range(of: find) else { return }
        let raw = Array(original.replacingCharacters(in: range, with: replace).utf8)
        expectSameAsTree(raw, replace, directExpected: direct)
    }

    @Test("truncated and trailing input is never taken directly")
    func brokenInput() throws {
        let raw = try Captures.bytes("01-plain-args-apply_async.json")
        for cut in stride(from: 0, to: raw.count - 1, by: max(1, raw.count / 97)) {
            #expect(TaskMessage.decodeDirect(Array(raw[..<cut])) == nil, "cut at \(cut)")
        }
        #expect(TaskMessage.decodeDirect(raw + Array(" x".utf8)) == nil)
        #expect(TaskMessage.decodeDirect(raw + Array(" \n".utf8)) != nil)
    }
}
