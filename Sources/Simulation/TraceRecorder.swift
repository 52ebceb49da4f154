import Foundation
import WorkerCore

/// The run's trace: every decision-relevant event, hashed always and streamed to a JSON-lines file
/// when asked.
///
/// The hash is an FNV-style multiply-xorshift over 64-bit words of a canonical form of each record
/// (the time, then the UTF-8 bytes of the kind and of the two identifying fields, with lengths), so
/// it costs little even when no file is written and is the same whether or not one is. Two runs with
/// the same seed and build must print the same hash; any leak of wall time or hash order changes it.
///
/// The hashing and the file's formatting and writing happen on the figure thread (`FigureThread`),
/// in record order; this side counts the records and hands each over.
final class TraceRecorder {
    private let figures: FigureThread
    /// Whether a trace file is written (`FigureThread.writesTrace`), read once.
    private let writesFile: Bool
    private(set) var recordCount = 0

    init(figures: FigureThread) {
        self.figures = figures
        writesFile = figures.writesTrace
    }

    /// The hash of every record: it joins the figure thread, so it is read after the last record.
    var hashHex: String { figures.finish().hash.hex }

    /// The last record is in: the figure thread finishes, and the trace file is complete and closed.
    func close() { _ = figures.finish() }

    /// Records one event with up to four named fields, in a fixed order; the hash covers the time,
    /// the kind (its raw value's bytes) and the first two fields. Fixed parameters rather than
    /// a collection keep this allocation-free: it runs for every event of every run.
    func record(_ now: Instant, _ kind: TraceKind,
                _ name1: StaticString = "", _ value1: String = "",
                _ name2: StaticString = "", _ value2: String = "",
                _ name3: StaticString = "", _ value3: @autoclosure () -> String = "",
                _ name4: StaticString = "", _ value4: @autoclosure () -> String = "") {
        recordCount += 1
        let kindNumber = KindHashWords.caseNumber(kind)
        if writesFile {
            figures.traceLine(micros: now.microsecondsSinceEpoch, kindNumber: kindNumber, TraceLine(
                name1: name1, value1: value1, name2: name2, value2: value2,
                name3: name3, value3: name3.utf8CodeUnitCount > 0 ? value3() : "",
                name4: name4, value4: name4.utf8CodeUnitCount > 0 ? value4() : ""))
            return
        }
        // The first two fields identify what happened to whom (task, delivery tag, worker); the
        // rest (names, queues, details) follow from them in a given run, so they go to the file only.
        figures.trace(micros: now.microsecondsSinceEpoch, kindNumber: kindNumber,
                      name1.utf8CodeUnitCount > 0 ? value1 : nil, name2.utf8CodeUnitCount > 0 ? value2 : nil)
    }
}

/// Each TraceKind's raw value as the 64-bit words `TraceHash.mix(bytes:)` feeds the hash
/// (the 8-byte chunks, then the tail word with the length in its top byte), `wordsPerKind` per
/// kind, indexed by the kind's case number. Built once per process and never freed, so a run's
/// recorder allocates nothing for it; immutable after `init`, hence shareable between threads.
final class KindHashWords: @unchecked Sendable {
    static let shared = KindHashWords()
    static let wordsPerKind = 8
    let words: UnsafePointer<UInt64>
    let counts: UnsafePointer<Int>

    private init() {
        precondition(MemoryLayout<TraceKind>.size == 1 && TraceKind.allCases.count < 256)
        let kinds = TraceKind.allCases
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: kinds.count * Self.wordsPerKind)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: kinds.count)
        for (index, kind) in kinds.enumerated() {
            precondition(Self.caseNumber(kind) == index, "TraceKind's case numbers follow allCases")
            let kindWords = Self.hashWords(Array(kind.rawValue.utf8))
            precondition(kindWords.count <= Self.wordsPerKind, "trace kind \(kind.rawValue) is too long")
            for (offset, word) in kindWords.enumerated() { words[index * Self.wordsPerKind + offset] = word }
            counts[index] = kindWords.count
        }
        self.words = UnsafePointer(words)
        self.counts = UnsafePointer(counts)
    }

    /// The case number of a kind: a payload-free enum of fewer than 256 cases is stored as its
    /// case's index in declaration order, the order of `allCases`.
    @inline(__always)
    static func caseNumber(_ kind: TraceKind) -> Int { Int(unsafeBitCast(kind, to: UInt8.self)) }


    /// The words `mix(bytes:)` mixes for these bytes, in order.
    static func hashWords(_ bytes: [UInt8]) -> [UInt64] {
        var words: [UInt64] = []
        var index = 0
        while index + 8 <= bytes.count {
            var word: UInt64 = 0
            for offset in 0..<8 { word |= UInt64(bytes[index + offset]) << (8 * UInt64(offset)) }
            words.append(word)
            index += 8
        }
        var tail = UInt64(bytes.count) << 56
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        words.append(tail)
        return words
    }

}

/// "12.345678" seconds from a span, exact (no floating point).
func formatSeconds(_ span: TimeSpan) -> String {
    let micros = span.microseconds
    let sign = micros < 0 ? "-" : ""
    let magnitude = micros.magnitude
    let fraction = String(magnitude % 1_000_000)
    return sign + String(magnitude / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
}

public enum SimulationError: Error, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}
