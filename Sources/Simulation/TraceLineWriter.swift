import Foundation
import WorkerCore

/// One trace record as the file has it: the kind, the time and up to four named fields. Built on
/// the simulator's thread (the values of fields 3 and 4 evaluated there) and formatted on the
/// figure thread (`FigureThread`), which also hashes it.
struct TraceLine {
    var name1: StaticString, value1: String
    var name2: StaticString, value2: String
    var name3: StaticString, value3: String
    var name4: StaticString, value4: String
}

/// Formats trace records as JSON lines into a reused byte buffer (no intermediate strings) and
/// writes each to the trace file. Used by one thread at a time.
struct TraceLineWriter {
    private var line: [UInt8] = []
    private let file: UnsafeMutablePointer<FILE>
    private let epoch: Instant
    /// Each kind's raw value by case number (`KindHashWords.caseNumber`).
    private let kindNames = TraceKind.allCases.map(\.rawValue)

    init(file: UnsafeMutablePointer<FILE>, epoch: Instant) {
        self.file = file
        self.epoch = epoch
    }

    mutating func write(micros: Int64, kindNumber: Int, _ record: TraceLine) {
        line.removeAll(keepingCapacity: true)
        append("{\"t\":")
        appendSeconds(Instant(microsecondsSinceEpoch: micros) - epoch)
        append(",\"ev\":\"")
        appendEscaped(kindNames[kindNumber])
        line.append(UInt8(ascii: "\""))
        appendField(record.name1, record.value1)
        appendField(record.name2, record.value2)
        appendField(record.name3, record.value3)
        appendField(record.name4, record.value4)
        append("}\n")
        line.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, file) }
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { line.append(contentsOf: $0) }
    }

    private mutating func appendField(_ name: StaticString, _ value: String) {
        guard name.utf8CodeUnitCount > 0 else { return }
        append(",\"")
        append(name)
        append("\":\"")
        appendEscaped(value)
        line.append(UInt8(ascii: "\""))
    }

    /// Most values need no escaping: their bytes go in with one copy, not byte by byte.
    private mutating func appendEscaped(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            if bytes.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
                line.append(contentsOf: bytes)
            } else {
                for byte in bytes { appendEscaped(byte) }
            }
        }
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): append("\\\"")
        case UInt8(ascii: "\\"): append("\\\\")
        case 0..<0x20:
            append("\\u00")
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            line.append(hex[Int(byte >> 4)])
            line.append(hex[Int(byte & 0xf)])
        default: line.append(byte)
        }
    }

    /// Seconds with six decimals, exactly (integer arithmetic).
    private mutating func appendSeconds(_ span: TimeSpan) {
        var micros = span.microseconds
        if micros < 0 { line.append(UInt8(ascii: "-")); micros = -micros }
        appendDecimal(UInt64(micros / 1_000_000))
        line.append(UInt8(ascii: "."))
        let fraction = UInt64(micros % 1_000_000)
        var divisor: UInt64 = 100_000
        while divisor > 0 {
            line.append(UInt8(ascii: "0") + UInt8((fraction / divisor) % 10))
            divisor /= 10
        }
    }

    private mutating func appendDecimal(_ value: UInt64) {
        if value >= 10 { appendDecimal(value / 10) }
        line.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
