import Foundation
import Logging
import LovageLogging
import Testing

/// Lines a handler wrote, kept for the test.
final class WrittenLines: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    var all: String { lock.withLock { text } }
    var output: LogOutput { LogOutput { line in self.lock.withLock { self.text += line } } }
}

/// A logger writing to `lines` at a fixed time and pid.
func fixedLogger(_ lines: WrittenLines, format: LogFormat, level: Logger.Level = .info, label: String = "lovage.worker",
                 timeMicros: Int64 = 1_764_392_100_123_456, processName: String = "MainProcess") -> Logger {
    Logger(label: label) {
        LovageLogHandler(label: $0, format: format, level: level, processName: processName, output: lines.output,
                         clockMicros: { timeMicros }, pid: 4242)
    }
}

/// The hand-written line `lovage` had before swift-log (Sources/lovage/Terminal.swift's
/// `writeLog`), kept here as the reference the handler must match byte for byte.
func handWrittenLine(_ line: String, at date: Date) -> String {
    var level = "INFO"
    var message = line
    if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
        level = String(line[line.index(after: line.startIndex)..<close])
        message = String(line[line.index(after: close)...]).trimmingCharacters(in: .whitespaces)
    }
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss,SSS"
    formatter.timeZone = TimeZone(identifier: "UTC")
    return "[\(formatter.string(from: date)): \(level)/MainProcess] \(message)\n"
}

@Suite("LovageLogHandler: Celery's line format")
struct CeleryLineFormatTests {
    @Test("a record is written as [YYYY-MM-DD HH:MM:SS,mmm: LEVEL/MainProcess] message, UTC, to the millisecond")
    func exactBytes() {
        let lines = WrittenLines()
        let logger = fixedLogger(lines, format: .celery)
        logger.info("lovage@host ready.")
        logger.warning("remote control: ignored election (Lovage takes part in no election)")
        logger.error("consumer connection lost: timeout; reconnecting")
        #expect(lines.all == """
            [2025-11-29 04:55:00,123: INFO/MainProcess] lovage@host ready.
            [2025-11-29 04:55:00,123: WARNING/MainProcess] remote control: ignored election (Lovage takes part in no election)
            [2025-11-29 04:55:00,123: ERROR/MainProcess] consumer connection lost: timeout; reconnecting

            """)
    }

    @Test("lines match the hand-written format they replace, byte for byte, at times across the calendar")
    func sameAsHandWritten() {
        // Epoch, a leap day, a rounding carry into the next day, a half millisecond, the end of a year, and now.
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let times: [Int64] = [0, 951_782_400_000_999, 1_709_164_799_999_999, 1_709_164_800_000_000, 1_735_689_599_998_500, now]
        for micros in times {
            for ((level, name), message) in zip([(Logger.Level.info, "INFO"), (.warning, "WARNING"), (.error, "ERROR"), (.debug, "DEBUG")],
                                                ["slot 1: replacing its child (recycle)", "    . broker -> redis://127.0.0.1:6379/0",
                                                 "remote control: bad \t", " Chord 'g' raised: ChordError('x')"]) {
                let record = LogRecord(timeMicros: micros, level: level, label: "x", message: message, pid: 1)
                // The old path read the clock as a Date and its formatter rounded to the nearest
                // millisecond, carrying into the next second (…59,9995 is the next day's 00,000).
                let date = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
                #expect(LogLineRenderer.render(record, format: .celery)
                        == handWrittenLine("[\(name)] \(message)", at: date), "at \(micros) µs, \(name): \(message)")
            }
        }
    }

    @Test("swift-log's extra levels take Celery's names: trace is DEBUG, notice is INFO, critical is CRITICAL")
    func levelNames() {
        let lines = WrittenLines()
        let logger = fixedLogger(lines, format: .celery, level: .trace, timeMicros: 0)
        logger.trace("t")
        logger.notice("n")
        logger.critical("c")
        #expect(lines.all == """
            [1970-01-01 00:00:00,000: DEBUG/MainProcess] t
            [1970-01-01 00:00:00,000: INFO/MainProcess] n
            [1970-01-01 00:00:00,000: CRITICAL/MainProcess] c

            """)
    }

    @Test("a prefork child's lines carry its process name")
    func processName() {
        let lines = WrittenLines()
        fixedLogger(lines, format: .celery, timeMicros: 0, processName: "ForkPoolWorker-3").info("body started")
        #expect(lines.all == "[1970-01-01 00:00:00,000: INFO/ForkPoolWorker-3] body started\n")
    }

    @Test("metadata follows the message as key=value pairs, keys sorted, the logger's under the record's")
    func metadata() {
        let lines = WrittenLines()
        var logger = fixedLogger(lines, format: .celery, timeMicros: 0)
        logger[metadataKey: "node"] = "w1@h"
        logger[metadataKey: "task"] = "shadowed"
        logger.info("Task succeeded", metadata: ["task": "app.add", "attempt": "2"])
        #expect(lines.all == "[1970-01-01 00:00:00,000: INFO/MainProcess] Task succeeded attempt=2 node=w1@h task=app.add\n")
    }

    @Test("the plain format is the bare message, as `lovage record` always wrote its lines")
    func plain() {
        let lines = WrittenLines()
        fixedLogger(lines, format: .plain).info("record: 2 node(s): a, b")
        #expect(lines.all == "record: 2 node(s): a, b\n")
    }
}
