extension JSONValue {
    /// Deepest array/object nesting accepted. Python's own limit is the recursion limit (~1000);
    /// 512 keeps our recursive parser far from the stack's end on small thread stacks.
    public static let maxDepth = 512

    /// Parses one JSON text (RFC 8259, plus Python's `NaN`/`Infinity`/`-Infinity`, which `json.dumps`
    /// writes and `json.loads` reads). Rejects trailing data, raw control characters in strings, bad
    /// escapes and invalid UTF-8. Lone UTF-16 surrogates in `\u` escapes become U+FFFD because a Swift
    /// `String` cannot hold them. Duplicate keys: last value wins, first position kept (Python's dict).
    public static func parse(_ bytes: [UInt8]) throws(WireError) -> JSONValue {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result<JSONValue, WireError> { () throws(WireError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }

    public static func parse(_ text: String) throws(WireError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(WireError) -> JSONValue {
        var parser = JSONParser(buffer)
        return try parser.parseDocument()
    }
}

/// Byte-level recursive-descent parser. Works on a buffer pointer so the hot loops do no bounds
/// bookkeeping beyond `pos < end`; every read is guarded, so truncated input throws instead of trapping.
struct JSONParser {
    let buf: UnsafeBufferPointer<UInt8>
    var pos = 0
    private var depth = 0

    init(_ buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

    mutating func parseDocument() throws(WireError) -> JSONValue {
        skipWhitespace()
        if pos >= buf.count {
            throw WireError(.truncated, buf.isEmpty ? "JSON: empty input" : "JSON: no value before end of input at byte \(pos)")
        }
        let value = try parseValue()
        skipWhitespace()
        if pos < buf.count {
            throw WireError(.invalidJSON, "JSON: trailing data \(describeByte(at: pos)) at byte \(pos)")
        }
        return value
    }

    // MARK: Helpers

    mutating func skipWhitespace() {
        while pos < buf.count {
            switch buf[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    func endOfInput() -> WireError {
        WireError(.truncated, "JSON: unexpected end of input at byte \(pos)")
    }

    func describeByte(at i: Int) -> String {
        guard i < buf.count else { return "end of input" }
        let b = buf[i]
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16, uppercase: true)
    }

    private func unexpected(_ what: String) -> WireError {
        if pos >= buf.count { return endOfInput() }
        return WireError(.invalidJSON, "JSON: unexpected \(describeByte(at: pos)) at byte \(pos), expected \(what)")
    }

    private mutating func expectLiteral(_ literal: StaticString, value: JSONValue) throws(WireError) -> JSONValue {
        let start = pos
        let count = literal.utf8CodeUnitCount
        let lit = literal.utf8Start
        for k in 0..<count {
            guard pos < buf.count else { throw endOfInput() }
            if buf[pos] != lit[k] {
                throw WireError(.invalidJSON, "JSON: invalid literal at byte \(start)")
            }
            pos += 1
        }
        return value
    }

    // MARK: Values

    mutating func parseValue() throws(WireError) -> JSONValue {
        guard pos < buf.count else { throw endOfInput() }
        switch buf[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expectLiteral("true", value: .bool(true))
        case UInt8(ascii: "f"): return try expectLiteral("false", value: .bool(false))
        case UInt8(ascii: "n"): return try expectLiteral("null", value: .null)
        case UInt8(ascii: "N"): return try expectLiteral("NaN", value: .double(.nan))
        case UInt8(ascii: "I"): return try expectLiteral("Infinity", value: .double(.infinity))
        case UInt8(ascii: "-"):
            if pos + 1 < buf.count && buf[pos + 1] == UInt8(ascii: "I") {
                return try expectLiteral("-Infinity", value: .double(-.infinity))
            }
            return try parseNumber()
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw unexpected("a JSON value")
        }
    }

    private mutating func enter() throws(WireError) {
        depth += 1
        if depth > JSONValue.maxDepth {
            throw WireError(.tooDeep, "JSON: nesting deeper than \(JSONValue.maxDepth) levels at byte \(pos)")
        }
    }

    private mutating func parseArray() throws(WireError) -> JSONValue {
        try enter()
        pos += 1  // [
        var items: [JSONValue] = []
        skipWhitespace()
        guard pos < buf.count else { throw endOfInput() }
        if buf[pos] == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return .array(items)
        }
        items.reserveCapacity(4)
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard pos < buf.count else { throw endOfInput() }
            switch buf[pos] {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "]"):
                pos += 1
                depth -= 1
                return .array(items)
            default: throw unexpected("',' or ']'")
            }
        }
    }

    private mutating func parseObject() throws(WireError) -> JSONValue {
        var object = JSONObject()
        // Duplicate-key detection without hashing Strings: a 128-bit Bloom mask over a cheap hash of
        // each key's bytes. Only a mask hit (rare for Celery-sized objects) pays for string compares;
        // very large objects switch to a dictionary index.
        var bloom: (UInt64, UInt64) = (0, 0)
        var sawEscapedKey = false
        var index: [String: Int]? = nil
        try readObject { parser, key, rawKey throws(WireError) in
            let value = try parser.parseValue()
            if object.isEmpty { object.reserveCapacity(8) }  // fewer regrowths; Celery's objects have 2-20 keys
            if index != nil {
                if let i = index?[key] { object.storage[i].value = value } else {
                    index?[key] = object.count
                    object.appendUnchecked(key, value)
                }
                return
            }
            let keyHash = Self.keyHash(parser.buf, from: rawKey.lowerBound, to: rawKey.upperBound, decodedCount: key.utf8.count)
            if keyHash < 0 { sawEscapedKey = true }
            let bit = UInt64(1) << UInt64(keyHash & 63)
            let seen = sawEscapedKey || (keyHash & 64 == 0 ? bloom.0 & bit : bloom.1 & bit) != 0
            if seen, let i = object.index(forKey: key) {
                object.storage[i].value = value
            } else {
                if keyHash & 64 == 0 { bloom.0 |= bit } else { bloom.1 |= bit }
                object.appendUnchecked(key, value)
                if object.count >= 64 {
                    var built: [String: Int] = [:]
                    for (i, entry) in object.storage.enumerated() { built[entry.key] = i }
                    index = built
                }
            }
        }
        return .object(object)
    }

    // MARK: Streaming an object

    /// Reads an object member by member, without building it: `member` gets each key (and where
    /// its raw bytes sit, quotes included) with the parser at the key's value, and must consume
    /// exactly that value (`parseValue`, or `readObject` again). Keys are not checked for repeats:
    /// the caller does, for what it keeps. `parseObject` builds its objects with it, and decoders
    /// that go straight from bytes into typed fields use it (`TaskMessage.decodeDirect`).
    mutating func readObject(_ member: (inout JSONParser, String, Range<Int>) throws(WireError) -> Void) throws(WireError) {
        skipWhitespace()
        guard pos < buf.count, buf[pos] == UInt8(ascii: "{") else { throw unexpected("'{'") }
        try enter()
        pos += 1
        skipWhitespace()
        guard pos < buf.count else { throw endOfInput() }
        if buf[pos] == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard pos < buf.count else { throw endOfInput() }
            guard buf[pos] == UInt8(ascii: "\"") else { throw unexpected("a string key") }
            let keyStart = pos
            let key = try parseString()
            let rawKey = keyStart..<pos
            skipWhitespace()
            guard pos < buf.count else { throw endOfInput() }
            guard buf[pos] == UInt8(ascii: ":") else { throw unexpected("':'") }
            pos += 1
            skipWhitespace()
            try member(&self, key, rawKey)
            skipWhitespace()
            guard pos < buf.count else { throw endOfInput() }
            switch buf[pos] {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "}"):
                pos += 1
                depth -= 1
                return
            default: throw unexpected("',' or '}'")
            }
        }
    }

    /// After a streamed document: only whitespace may follow.
    mutating func finishDocument() throws(WireError) {
        skipWhitespace()
        if pos < buf.count {
            throw WireError(.invalidJSON, "JSON: trailing data \(describeByte(at: pos)) at byte \(pos)")
        }
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(WireError) -> JSONValue {
        let start = pos
        var negative = false
        if buf[pos] == UInt8(ascii: "-") {
            negative = true
            pos += 1
        }
        guard pos < buf.count else { throw endOfInput() }
        let intStart = pos
        if buf[pos] == UInt8(ascii: "0") {
            pos += 1
        } else if isDigit(buf[pos]) {
            while pos < buf.count && isDigit(buf[pos]) { pos += 1 }
        } else {
            throw WireError(.invalidJSON, "JSON: invalid number at byte \(start)")
        }
        let intEnd = pos
        var isInteger = true
        if pos < buf.count && buf[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard pos < buf.count else { throw endOfInput() }
            guard isDigit(buf[pos]) else { throw WireError(.invalidJSON, "JSON: invalid number at byte \(start)") }
            while pos < buf.count && isDigit(buf[pos]) { pos += 1 }
        }
        if pos < buf.count && (buf[pos] == UInt8(ascii: "e") || buf[pos] == UInt8(ascii: "E")) {
            isInteger = false
            pos += 1
            if pos < buf.count && (buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-")) { pos += 1 }
            guard pos < buf.count else { throw endOfInput() }
            guard isDigit(buf[pos]) else { throw WireError(.invalidJSON, "JSON: invalid number at byte \(start)") }
            while pos < buf.count && isDigit(buf[pos]) { pos += 1 }
        }
        if isInteger && intEnd - intStart <= 19 {
            // Accumulate negatively so Int64.min is representable.
            var acc: Int64 = 0
            var overflow = false
            for i in intStart..<intEnd {
                let (m, o1) = acc.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.subtractingReportingOverflow(Int64(buf[i] &- 0x30))
                if o1 || o2 { overflow = true; break }
                acc = s
            }
            if !overflow {
                if negative { return .int(acc) }
                if acc != Int64.min { return .int(-acc) }
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
        guard let d = Double(text) else { throw WireError(.invalidJSON, "JSON: invalid number at byte \(start)") }
        return .double(d)
    }

    /// Hash (0..<128) of a key from its length and its first and last bytes (cheap, and enough to tell
    /// Celery's keys apart), or -1 when the key had escapes: the same key can be spelled with and
    /// without escapes, so once an escaped key is seen the object falls back to comparing every key
    /// for real. Every escape is longer than what it decodes to, so the raw bytes (`from` is the
    /// opening quote, `to` just past the closing one) then outnumber the decoded ones.
    private static func keyHash(_ buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int, decodedCount: Int) -> Int {
        let rawCount = to - from - 2
        if rawCount != decodedCount { return -1 }
        guard rawCount > 0 else { return 0 }
        let h = UInt32(buf[from + 1]) &* 31 &+ UInt32(buf[to - 2]) &* 7 &+ UInt32(truncatingIfNeeded: rawCount) &* 131
        return Int(h & 127)
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
}
