import CHiredis
import Testing
@testable import RedisClient

/// The request bytes hiredis would have written for the same arguments with `redisFormatCommandArgv`.
@Suite struct RESPCommandTests {
    @Test func writesEachArgumentWithItsLength() {
        let bytes = RESPCommand.encode([[Array("SET".utf8), Array("key".utf8), [0x00, 0x0D, 0x0A, 0xFF]]])
        #expect(bytes == Array("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$4\r\n".utf8) + [0x00, 0x0D, 0x0A, 0xFF] + [0x0D, 0x0A])
    }

    @Test func writesEmptyArgumentsAndCountsOfSeveralDigits() {
        let arguments: [[UInt8]] = [Array("RPUSH".utf8)] + Array(repeating: [], count: 9) + [Array(repeating: 0x61, count: 1234)]
        let bytes = RESPCommand.encode([arguments])
        let expected = Array("*11\r\n$5\r\nRPUSH\r\n".utf8) + Array(String(repeating: "$0\r\n\r\n", count: 9).utf8)
            + Array("$1234\r\n".utf8) + Array(repeating: 0x61, count: 1234) + [0x0D, 0x0A]
        #expect(bytes == expected)
    }

    @Test func matchesHiredisFormattingForAPipeline() {
        let commands: [[[UInt8]]] = [[Array("MULTI".utf8)], [Array("HDEL".utf8), Array("unacked".utf8), Array("tag-10".utf8)], [Array("EXEC".utf8)]]
        var hiredis: [UInt8] = []
        for arguments in commands { hiredis += Self.hiredisFormatted(arguments) }
        #expect(RESPCommand.encode(commands) == hiredis)
    }

    /// hiredis' own formatting of one command, for comparison.
    static func hiredisFormatted(_ arguments: [[UInt8]]) -> [UInt8] {
        let storage: [CChar] = arguments.flatMap { $0.map { CChar(bitPattern: $0) } } + [0]
        var lengths = arguments.map { $0.count }
        var target: UnsafeMutablePointer<CChar>?
        let length = storage.withUnsafeBufferPointer { buffer -> Int in
            var offset = 0
            var pointers: [UnsafePointer<CChar>?] = arguments.map { argument in
                defer { offset += argument.count }
                return buffer.baseAddress! + offset
            }
            return Int(redisFormatCommandArgv(&target, Int32(arguments.count), &pointers, &lengths))
        }
        defer { redisFreeCommand(target) }
        return (0..<length).map { UInt8(bitPattern: target![$0]) }
    }
}
