extension JSONValue {
    /// Serializes exactly as Python's `json.dumps(value)` with default arguments: separators `", "`
    /// and `": "`, `ensure_ascii=True` (non-ASCII as lowercase `\uXXXX`, astral characters as surrogate
    /// pairs, DEL as `\u007f`), floats as `repr`, `NaN`/`Infinity`. Matching byte for byte is what lets
    /// a re-encoded Celery message or result document be indistinguishable from Python's own.
    public func serialized() -> [UInt8] {
        var writer = JSONWriter()
        writer.write(self)
        return writer.out
    }

    /// `serialized()` as a String (always ASCII).
    public func serializedString() -> String {
        String(decoding: serialized(), as: UTF8.self)
    }
}

extension JSONObject {
    /// `json.dumps` of this object.
    public func serialized() -> [UInt8] { JSONValue.object(self).serialized() }
}

/// Appends JSON text to a byte buffer. A struct with one growing array: no intermediate Strings
/// except for floats.
struct JSONWriter {
    var out: [UInt8] = []

    init(capacity: Int = 256) { out.reserveCapacity(capacity) }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: appendASCII("null")
        case .bool(let b): appendASCII(b ? "true" : "false")
        case .int(let i): writeInt(i)
        case .double(let d): out.append(contentsOf: PythonFloat.jsonToken(d).utf8)
        case .string(let s): writeString(s)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { out.append(0x2C); out.append(0x20) }
                first = false
                write(item)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            writeObject(object)
        }
    }

    mutating func writeObject(_ object: JSONObject) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for (key, value) in object {
            if !first { out.append(0x2C); out.append(0x20) }
            first = false
            writeString(key)
            out.append(0x3A)
            out.append(0x20)
            write(value)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends literal JSON text (keys and punctuation written by hand).
    mutating func appendRaw(_ s: StaticString) { appendASCII(s) }

    private mutating func appendASCII(_ s: StaticString) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    mutating func writeInt(_ value: Int64) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var v = value.magnitude  // UInt64: no overflow for Int64.min
        var count = 1
        var probe = v
        while probe >= 10 { probe /= 10; count += 1 }
        let first = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        var i = first + count - 1
        while v > 0 {
            out[i] = UInt8(v % 10) + 0x30
            v /= 10
            i -= 1
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeEscapedUnit(_ unit: UInt32) {
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "u"))
        out.append(Self.hexDigits[Int((unit >> 12) & 0xF)])
        out.append(Self.hexDigits[Int((unit >> 8) & 0xF)])
        out.append(Self.hexDigits[Int((unit >> 4) & 0xF)])
        out.append(Self.hexDigits[Int(unit & 0xF)])
    }

    mutating func writeString(_ s: String) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var i = 0
            let n = bytes.count
            while i < n {
                // Copy the longest run of bytes that need no escaping in one go.
                var j = i
                while j < n {
                    let c = bytes[j]
                    if c < 0x20 || c >= 0x7F || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { break }
                    j += 1
                }
                if j > i {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<j]))
                    i = j
                    if i >= n { break }
                }
                let b = bytes[i]
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                    out.append(UInt8(ascii: "\\"))
                    out.append(b)
                    i += 1
                    continue
                }
                if b < 0x80 {
                    switch b {
                    case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
                    case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
                    case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
                    case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
                    case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
                    default: writeEscapedUnit(UInt32(b))  // other controls and DEL
                    }
                    i += 1
                    continue
                }
                // Non-ASCII: decode one scalar from valid UTF-8 (a Swift String is always valid).
                var scalar: UInt32
                var len: Int
                if b >= 0xF0 { scalar = UInt32(b & 0x07); len = 4 }
                else if b >= 0xE0 { scalar = UInt32(b & 0x0F); len = 3 }
                else { scalar = UInt32(b & 0x1F); len = 2 }
                var k = 1
                while k < len && i + k < n {
                    scalar = scalar << 6 | UInt32(bytes[i + k] & 0x3F)
                    k += 1
                }
                i += len
                if scalar >= 0x10000 {
                    let v = scalar - 0x10000
                    writeEscapedUnit(0xD800 + (v >> 10))
                    writeEscapedUnit(0xDC00 + (v & 0x3FF))
                } else {
                    writeEscapedUnit(scalar)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
