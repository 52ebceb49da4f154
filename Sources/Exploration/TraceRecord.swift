import Simulation

/// One line of a simulator trace (`trace.jsonl`): `{"t":12.000280,"ev":"deliver","task":"t1",...}`.
///
/// Times are kept as whole microseconds from the start of the run, read from the decimal text the
/// trace writes (no floating point), so stories print the exact instants of the trace.
public struct TraceRecord: Sendable, Equatable {
    public var microseconds: Int64
    /// What happened; nil for a kind this build does not know (a trace written by another version),
    /// which is told by its text instead of crashing the reader.
    public let kind: TraceKind?
    /// The `"ev"` text as the line has it (the kind's raw value when the kind is known).
    public let kindText: String
    /// The named fields in the order the line has them (all strings in the trace format).
    public var fields: [(name: String, value: String)]
    /// The record's line number in its trace (0 when not read from a file): the order of events
    /// at the same instant.
    public var sequence = 0

    public subscript(name: String) -> String? { fields.first { $0.name == name }?.value }

    public static func == (lhs: TraceRecord, rhs: TraceRecord) -> Bool {
        lhs.microseconds == rhs.microseconds && lhs.kindText == rhs.kindText
            && lhs.fields.map(\.name) == rhs.fields.map(\.name) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }

    /// Parses one trace line as `TraceRecorder` writes it; nil for anything else.
    public init?(line: Substring) {
        var scanner = LineScanner(Array(line.utf8))
        guard scanner.take("{\"t\":"), let micros = scanner.decimalMicroseconds(), scanner.take(",\"ev\":"),
              let kind = scanner.string() else { return nil }
        var fields: [(String, String)] = []
        while scanner.take(",") {
            guard let name = scanner.string(), scanner.take(":"), let value = scanner.string() else { return nil }
            fields.append((name, value))
        }
        guard scanner.take("}") else { return nil }
        self.microseconds = micros
        self.kindText = kind
        self.kind = TraceKind(rawValue: kind)
        self.fields = fields
    }

    public init(microseconds: Int64, kind: TraceKind, fields: [(name: String, value: String)]) {
        self.microseconds = microseconds; self.kind = kind; self.kindText = kind.rawValue; self.fields = fields
    }

    /// Whether this record ends its task for good (see `TraceKind.endsTask`).
    public var endsTask: Bool { kind?.endsTask ?? false }

    /// The line again, as the trace file has it.
    public var line: String {
        var text = "{\"t\":" + String(microseconds / 1_000_000) + "."
        let fraction = String(microseconds % 1_000_000)
        text += String(repeating: "0", count: 6 - fraction.count) + fraction + ",\"ev\":\"" + kindText + "\""
        for (name, value) in fields { text += ",\"\(name)\":\"\(value)\"" }
        return text + "}"
    }
}

/// A cursor over the bytes of one trace line.
private struct LineScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let matches = literal.withUTF8Buffer { buffer in buffer.elementsEqual(bytes[index..<index + count]) }
        if matches { index += count }
        return matches
    }

    /// `12.000280` → 12000280 (exactly six decimals, as the trace writes them).
    mutating func decimalMicroseconds() -> Int64? {
        var whole: Int64 = 0, digits = 0
        while index < bytes.count, (48...57).contains(bytes[index]) {
            whole = whole * 10 + Int64(bytes[index] - 48); index += 1; digits += 1
        }
        guard digits > 0, take(".") else { return nil }
        var fraction: Int64 = 0, places = 0
        while index < bytes.count, (48...57).contains(bytes[index]) {
            fraction = fraction * 10 + Int64(bytes[index] - 48); index += 1; places += 1
        }
        guard places == 6 else { return nil }
        return whole * 1_000_000 + fraction
    }

    /// A JSON string with the escapes the trace writes (`\"`, `\\`, `\u00XX`).
    mutating func string() -> String? {
        guard take("\"") else { return nil }
        var out: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escaped = bytes[index]
                index += 1
                if escaped == UInt8(ascii: "u") {
                    guard index + 4 <= bytes.count, let value = UInt8(String(decoding: bytes[index + 2..<index + 4], as: UTF8.self), radix: 16)
                    else { return nil }
                    out.append(value)
                    index += 4
                } else {
                    out.append(escaped)
                }
            default: out.append(byte)
            }
        }
        return nil
    }
}
