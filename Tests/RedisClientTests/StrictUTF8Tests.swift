import Testing
@testable import RedisClient

@Suite struct StrictUTF8Tests {
    @Test func asciiAndValidUTF8DecodeToTheSameBytes() {
        #expect(strictUTF8String(Array("celery".utf8)) == "celery")
        #expect(strictUTF8String([UInt8]()) == "")
        #expect(strictUTF8String(Array("queue-é-😀".utf8)) == "queue-é-😀")
        #expect(strictUTF8String(Array("celery".utf8)[1...]) == "elery")
    }

    @Test func invalidUTF8IsRefusedNotRepaired() {
        #expect(strictUTF8String([0x61, 0xFF, 0x62]) == nil)
        #expect(strictUTF8String([0xC3]) == nil)
        #expect(strictUTF8String([0xED, 0xA0, 0x80]) == nil)  // a UTF-16 surrogate, encoded
    }
}
