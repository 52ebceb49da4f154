import RedisClient
import Testing

@Suite("RedisReply helpers")
struct RedisReplyTests {
    @Test func scalarAccessors() {
        #expect(RedisReply.string(b("hé")).stringValue == "hé")
        #expect(RedisReply.string([0xFF, 0xFE]).stringValue == nil)
        #expect(RedisReply.string([0xFF, 0xFE]).bytes == [0xFF, 0xFE])
        #expect(RedisReply.status("OK").stringValue == "OK")
        #expect(RedisReply.status("OK").bytes == b("OK"))
        #expect(RedisReply.integer(42).integerValue == 42)
        #expect(RedisReply.string(b("42")).integerValue == nil)
        #expect(RedisReply.null.isNull)
        #expect(!RedisReply.string([]).isNull)
        #expect(RedisReply.null.stringValue == nil)
        #expect(RedisReply.error("ERR x").errorMessage == "ERR x")
        #expect(RedisReply.error("ERR x").stringValue == nil)
        #expect(RedisReply.array([.integer(1), .null]).arrayValue == [.integer(1), .null])
        #expect(RedisReply.integer(1).arrayValue == nil)
    }

    @Test func pairsAndScores() throws {
        let hash = RedisReply.array([.string(b("f1")), .string(b("v1")), .string(b("f2")), .string([0, 1])])
        let fields = try #require(hash.fieldValues)
        #expect(fields == ["f1": b("v1"), "f2": [0, 1]])
        #expect(RedisReply.array([.string(b("odd"))]).pairs == nil)
        #expect(RedisReply.array([.string(b("k")), .integer(1)]).pairs == nil)
        let scored = RedisReply.array([.string(b("a")), .string(b("1.5")), .string(b("b")), .string(b("inf"))])
        let members = try #require(scored.scoredMembers)
        #expect(members.map(\.member) == [b("a"), b("b")])
        #expect(members.map(\.score) == [1.5, .infinity])
        #expect(RedisReply.array([.string(b("a")), .string(b("x"))]).scoredMembers == nil)
    }

    @Test func descriptionEscapesBinary() {
        let reply = RedisReply.array([.string([0x61, 0x00, 0x06, 0x16, 0xFF]), .status("OK"), .integer(3), .null, .error("ERR no")])
        #expect(reply.description == #"["a\x00\x06\x16\xff", +OK, (integer) 3, (nil), (error) ERR no]"#)
    }
}
