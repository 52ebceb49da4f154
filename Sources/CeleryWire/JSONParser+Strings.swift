/// String parsing for `JSONParser`: the fast path for escape-free strings and the escape decoder.
extension JSONParser {
    /// Parses a string starting at the opening quote. Fast path: no escapes → one String init over the
    /// raw bytes (ASCII needs no validation). Slow path assembles UTF-8 in a scratch buffer.
    mutating func parseString() throws(WireError) -> String {
        let open = pos
        pos += 1
        let start = pos
        var ascii = skipPlainWords()
        while pos < buf.count {
            let b = buf[pos]
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: buf[start..<pos])
                pos += 1
                if ascii { return String(decoding: slice, as: UTF8.self) }
                guard let s = String(validating: slice, as: UTF8.self) else {
                    throw WireError(.invalidJSON, "JSON: invalid UTF-8 in string starting at byte \(open)")
                }
                return s
            }
            if b == UInt8(ascii: "\\") { return try parseEscapedString(open: open, start: start) }
            if b < 0x20 { throw controlCharacter(b) }
            if b >= 0x80 { ascii = false }
            pos += 1
        }
        throw endOfInput()
    }

    /// Skips the string's leading 8-byte words that hold no quote, backslash or control
    /// character, testing a word at a time (the byte loop was about a quarter of parsing a Kombu
    /// envelope); returns whether every byte skipped was ASCII. The byte loop goes on from where
    /// this stops, at the word that holds the closing quote or anything else to look at.
    @inline(__always)
    private mutating func skipPlainWords() -> Bool {
        guard let base = buf.baseAddress else { return true }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        var seen: UInt64 = 0
        var index = pos
        let end = buf.count
        while end - index >= 8 {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            // A byte of `quote` or `backslash` that is zero, or a byte of `word` below 0x20, sets its
            // high bit here (the classic "has zero byte" and "has byte less than n" tests).
            let stop = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
            if stop & highBits != 0 { break }
            seen |= word
            index += 8
        }
        pos = index
        return seen & highBits == 0
    }

    private func controlCharacter(_ b: UInt8) -> WireError {
        let hex = String(b, radix: 16, uppercase: true)
        return WireError(.invalidJSON, "JSON: raw control character U+\(String(repeating: "0", count: 4 - hex.count))\(hex) in string at byte \(pos)")
    }

    private mutating func parseEscapedString(open: Int, start: Int) throws(WireError) -> String {
        var scratch: [UInt8] = []
        scratch.reserveCapacity(pos - start + 16)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<pos]))
        while pos < buf.count {
            let b = buf[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                guard let s = String(validating: scratch, as: UTF8.self) else {
                    throw WireError(.invalidJSON, "JSON: invalid UTF-8 in string starting at byte \(open)")
                }
                return s
            }
            if b < 0x20 { throw controlCharacter(b) }
            if b != UInt8(ascii: "\\") {
                scratch.append(b)
                pos += 1
                continue
            }
            let escapeAt = pos
            pos += 1
            guard pos < buf.count else { throw endOfInput() }
            let e = buf[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                let unit = try readHex4(escapeAt: escapeAt)
                var scalarValue: UInt32 = 0xFFFD  // lone surrogates become U+FFFD
                if unit >= 0xD800 && unit <= 0xDBFF {
                    // High surrogate: combine with an immediately following \uDC00-\uDFFF.
                    if pos + 1 < buf.count && buf[pos] == UInt8(ascii: "\\") && buf[pos + 1] == UInt8(ascii: "u") {
                        let save = pos
                        pos += 2
                        let low = try readHex4(escapeAt: save)
                        if low >= 0xDC00 && low <= 0xDFFF {
                            scalarValue = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            pos = save  // not a pair: re-read the second escape on its own
                        }
                    }
                } else if !(unit >= 0xDC00 && unit <= 0xDFFF) {
                    scalarValue = unit
                }
                appendUTF8(scalarValue, to: &scratch)
            default:
                throw WireError(.invalidJSON, "JSON: invalid escape \(describeByte(at: pos - 1)) after backslash at byte \(escapeAt)")
            }
        }
        throw endOfInput()
    }

    /// Appends the UTF-8 form of a Unicode scalar value (surrogates were already mapped away).
    private func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | ((v >> 18) & 0x07)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    private mutating func readHex4(escapeAt: Int) throws(WireError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard pos < buf.count else { throw endOfInput() }
            let b = buf[pos]
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x41...0x46: d = b - 0x41 + 10
            case 0x61...0x66: d = b - 0x61 + 10
            default: throw WireError(.invalidJSON, "JSON: invalid \\u escape at byte \(escapeAt)")
            }
            v = v << 4 | UInt32(d)
            pos += 1
        }
        return v
    }
}
