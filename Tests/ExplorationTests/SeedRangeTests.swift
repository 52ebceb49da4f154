import Testing
@testable import Exploration

@Suite struct SeedRangeTests {
    @Test(arguments: [("1...10000", 1, 10000), ("5", 5, 5), ("0..<3", 0, 2), (" 7 ... 9 ", 7, 9)])
    func parses(text: String, first: UInt64, last: UInt64) throws {
        let range = try SeedRange(parsing: text)
        #expect(range.first == first)
        #expect(range.last == last)
    }

    @Test(arguments: ["10...1", "a...b", "1-5", "3..<3", "", "1..5"])
    func rejects(text: String) {
        #expect(throws: SeedRangeError.self) { try SeedRange(parsing: text) }
    }
}
