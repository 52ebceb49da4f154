import Foundation
import Logging
import LovageLogging
import Testing

@Suite("LovageLogHandler: JSON lines")
struct JSONLinesTests {
    func objects(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
        }
    }

    @Test("each record is one JSON object on its own line: time, level, logger, message, metadata, pid, process")
    func fields() throws {
        let lines = WrittenLines()
        fixedLogger(lines, format: .json).info("lovage@host ready.")
        #expect(lines.all == #"{"time":"2025-11-29T04:55:00.123Z","level":"INFO","logger":"lovage.worker","message":"lovage@host ready.","metadata":{},"pid":4242,"process":"MainProcess"}"# + "\n")
        let object = try #require(try objects(lines.all).first)
        #expect(object["level"] as? String == "INFO")
        #expect(object["pid"] as? Int == 4242)
    }

    @Test("quotes, backslashes, newlines and control characters are escaped, so a line stays one valid object")
    func escaping() throws {
        let lines = WrittenLines()
        let logger = fixedLogger(lines, format: .json)
        let nasty = "Chord 'g' raised: \"ChordError\" \\ path\nsecond line\ttab \u{01} é 🌿"
        logger.error("\(nasty)")
        #expect(lines.all.filter { $0 == "\n" }.count == 1)
        let object = try #require(try objects(lines.all).first)
        #expect(object["message"] as? String == nasty)
        #expect(object["level"] as? String == "ERROR")
    }

    @Test("metadata is an object with nested arrays and dictionaries, keys sorted in the text")
    func nestedMetadata() throws {
        let lines = WrittenLines()
        var logger = fixedLogger(lines, format: .json)
        logger[metadataKey: "node"] = "w1@h"
        logger.warning("x", metadata: ["queues": ["celery", "dify"], "limits": ["soft": "5", "hard": .stringConvertible(10)]])
        let text = lines.all
        #expect(text.contains(#""metadata":{"limits":{"hard":"10","soft":"5"},"node":"w1@h","queues":["celery","dify"]}"#), "\(text)")
        let metadata = try #require(try objects(text).first?["metadata"] as? [String: Any])
        #expect(metadata["queues"] as? [String] == ["celery", "dify"])
    }

    @Test("many records from many threads come out as whole lines that each parse")
    func concurrentLines() throws {
        let lines = WrittenLines()
        let logger = fixedLogger(lines, format: .json)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in 0..<200 { logger.info("thread \(thread) record \(index)") }
        }
        let parsed = try objects(lines.all)
        #expect(parsed.count == 1600)
        #expect(Set(parsed.compactMap { $0["message"] as? String }).count == 1600)
    }
}
