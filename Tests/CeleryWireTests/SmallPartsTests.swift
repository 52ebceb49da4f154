import Foundation
import Testing
import CeleryWire

@Suite("Kombu tagged values")
struct TaggedValueTests {
    @Test("capture 21's tagged args decode and encode back")
    func capture21() throws {
        let m = try TaskMessage.decode(Captures.bytes(Captures.named(prefix: "21-")))
        #expect(try KombuTaggedValue.decode(m.args[0]) == nil)
        #expect(try KombuTaggedValue.decode(m.args[1]) == .datetime(micros: 1_767_323_045_000_000, original: "2026-01-02T03:04:05+00:00"))
        #expect(try KombuTaggedValue.decode(m.args[2]) == .uuid("12345678-1234-5678-1234-567812345678"))
        #expect(try KombuTaggedValue.decode(m.args[3]) == .decimal("1.5"))
        #expect(try KombuTaggedValue.decode(m.args[4]) == .bytes(Array("raw-bytes".utf8)))
        #expect(try KombuTaggedValue.decode(m.args[5]) == nil)
        #expect(try KombuTaggedValue.decode(m.kwargs["when"] ?? .null) == .date("2026-01-02"))
        for arg in m.args.dropFirst().prefix(4) + [m.kwargs["when"] ?? .null] {
            let tagged = try #require(try KombuTaggedValue.decode(arg))
            #expect(tagged.encode() == arg)
        }
    }

    @Test("bytes that are not UTF-8 use Kombu's base64 tag")
    func binaryBytes() throws {
        let v = KombuTaggedValue.bytes([0xFF, 0x00, 0x10])
        #expect(v.encode().serializedString() == #"{"__type__": "base64", "__value__": "/wAQ"}"#)
        #expect(try KombuTaggedValue.decode(v.encode()) == v)
    }

    @Test("uuid spellings accepted by Python's UUID(hex=)")
    func uuidSpellings() throws {
        for hex in ["12345678123456781234567812345678", "12345678-1234-5678-1234-567812345678",
                    "{12345678-1234-5678-1234-567812345678}", "urn:uuid:12345678-1234-5678-1234-567812345678",
                    "12345678123456781234567812345ABC".lowercased().uppercased()] {
            let v = try KombuTaggedValue.decode(["__type__": "uuid", "__value__": ["hex": .string(hex)]])
            if case .uuid(let s)? = v { #expect(s.count == 36 && s == s.lowercased()) } else { Issue.record("\(hex)") }
        }
    }

    @Test("only objects with exactly __type__ and __value__ are tagged")
    func notTagged() throws {
        #expect(try KombuTaggedValue.decode(["__type__": "uuid"]) == nil)
        #expect(try KombuTaggedValue.decode(["__type__": "uuid", "__value__": "x", "other": 1]) == nil)
    }

    @Test("unknown tags and bad values are errors", arguments: [
        #"{"__type__": "set", "__value__": [1]}"#,
        #"{"__type__": "uuid", "__value__": {"hex": "nope"}}"#,
        #"{"__type__": "datetime", "__value__": "yesterday"}"#,
        #"{"__type__": "date", "__value__": "2026-02-30"}"#,
        #"{"__type__": "decimal", "__value__": 1.5}"#,
        #"{"__type__": 3, "__value__": "x"}"#,
        #"{"__type__": "base64", "__value__": "!!"}"#,
    ])
    func badTags(_ text: String) throws {
        let v = try JSONValue.parse(text)
        #expect(throws: WireError.self) { try KombuTaggedValue.decode(v, path: "args[0]") }
    }
}

@Suite("PriorityQueueKeys")
struct PriorityQueueKeysTests {
    @Test("default steps: 0-2 bare, 3-5 step 3, 6-8 step 6, 9 step 9 (capture 08)")
    func defaultSteps() {
        let expected = ["celery", "celery", "celery", "celery\u{06}\u{16}3", "celery\u{06}\u{16}3", "celery\u{06}\u{16}3",
                        "celery\u{06}\u{16}6", "celery\u{06}\u{16}6", "celery\u{06}\u{16}6", "celery\u{06}\u{16}9"]
        for p in 0...9 {
            #expect(PriorityQueueKeys.listKey(queue: "celery", priority: p) == expected[p])
        }
        #expect(PriorityQueueKeys.listKey(queue: "dify", priority: 9) == "dify\u{06}\u{16}9")
        #expect(PriorityQueueKeys.listKey(queue: "celery", priority: nil) == "celery")
        #expect(PriorityQueueKeys.listKey(queue: "celery", priority: 42) == "celery\u{06}\u{16}9")
        #expect(PriorityQueueKeys.listKey(queue: "celery", priority: -3) == "celery")
    }

    @Test("ten steps: one list per priority (capture 20)")
    func tenSteps() {
        for p in 1...9 {
            #expect(PriorityQueueKeys.listKey(queue: "celery", priority: p, steps: Array(0...9)) == "celery\u{06}\u{16}\(p)")
        }
    }

    @Test("Kombu's wrap-around for a priority below the first step")
    func wrap() {
        #expect(PriorityQueueKeys.step(forPriority: 1, steps: [3, 6]) == 6)
        #expect(PriorityQueueKeys.step(forPriority: 4, steps: [3, 6]) == 3)
        #expect(PriorityQueueKeys.step(forPriority: 4, steps: []) == 0)
    }

    @Test("all keys and BRPOP order (queue_order_strategy-comparison.txt)")
    func keyOrders() {
        #expect(PriorityQueueKeys.allKeys(queue: "celery") == ["celery", "celery\u{06}\u{16}3", "celery\u{06}\u{16}6", "celery\u{06}\u{16}9"])
        #expect(PriorityQueueKeys.brpopKeys(queues: ["dify", "celery"]) == [
            "dify", "celery", "dify\u{06}\u{16}3", "celery\u{06}\u{16}3",
            "dify\u{06}\u{16}6", "celery\u{06}\u{16}6", "dify\u{06}\u{16}9", "celery\u{06}\u{16}9",
        ])
    }
}

@Suite("Base64")
struct Base64Tests {
    @Test("agrees with Foundation on random data")
    func matchesFoundation() throws {
        var x: UInt64 = 12345
        for length in 0..<200 {
            var bytes: [UInt8] = []
            for _ in 0..<length {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17
                bytes.append(UInt8(truncatingIfNeeded: x))
            }
            let ours = Base64.encode(bytes)
            #expect(ours == Data(bytes).base64EncodedString())
            #expect(try Base64.decode(ours) == bytes)
        }
    }

    @Test("whitespace is skipped, garbage and bad padding rejected")
    func leniency() throws {
        #expect(try Base64.decode("aGVs\nbG8=\r\n") == Array("hello".utf8))
        for bad in ["aGVsbG8", "aGVsbG8==", "aGV=sbG8", "a===", "aGVs*G8=", "=aGV"] {
            #expect(throws: WireError.self) { try Base64.decode(bad) }
        }
    }
}

@Suite("PythonRepr")
struct PythonReprTests {
    @Test("strings like CPython's repr", arguments: [
        ("abc", "'abc'"), ("it's", #""it's""#), (#"say "hi""#, #"'say "hi"'"#), (#"both ' and ""#, #"'both \' and "'"#),
        ("héllo ✓", "'héllo ✓'"), ("tab\there", #"'tab\there'"#), ("\u{0}\u{7f}\u{85}", #"'\x00\x7f\x85'"#),
        ("\u{2028}", #"'\u2028'"#), ("😀", "'😀'"), (#"back\slash"#, #"'back\\slash'"#),
        ("", "''"), ("'", #""'""#), (#"""#, #"'"'"#), (#"'""#, #"'\'"'"#), ("plain ascii ~!", "'plain ascii ~!'"),
    ])
    func strings(value: String, expected: String) {
        #expect(PythonRepr.string(value) == expected)
    }

    @Test("args and kwargs reprs as Celery sends them")
    func argsRepr() {
        #expect(PythonRepr.args([2, 3]) == "(2, 3)")
        #expect(PythonRepr.args([3]) == "(3,)")
        #expect(PythonRepr.args([]) == "()")
        #expect(PythonRepr.args([1], asTuple: false) == "[1]")
        #expect(PythonRepr.kwargs(["y": 2]) == "{'y': 2}")
        #expect(PythonRepr.repr([.null, true, 1.5, "x", ["k": []]] as JSONValue) == "[None, True, 1.5, 'x', {'k': []}]")
    }
}
