/// Standard base64 (RFC 4648, `+/`, `=` padding) for Kombu's `body_encoding: "base64"`.
///
/// Hand-rolled rather than `Data(base64Encoded:)` because it sits on the hot path of every message,
/// works on `[UInt8]` directly, and must match Python's `base64.b64decode` acceptance: padding is
/// required, ASCII whitespace (line breaks from `encodebytes`-style producers) is skipped, anything
/// else outside the alphabet is rejected. Tests cross-check it against Foundation.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// 255 = not in the alphabet, 254 = whitespace to skip, 253 = padding.
    private static let table: [UInt8] = {
        var t = [UInt8](repeating: 255, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        for c in [0x20, 0x09, 0x0A, 0x0D] { t[c] = 254 }
        t[Int(UInt8(ascii: "="))] = 253
        return t
    }()

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: encodeToBytes(bytes), as: UTF8.self)
    }

    static func encodeToBytes(_ input: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(input)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
            out.append(alphabet[Int(v & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
            out.append(UInt8(ascii: "="))
        }
        return out
    }

    /// Appends the base64 text of `input` to `out` (no intermediate array, no bounds checks in the
    /// loop): for hot paths that write an envelope straight into a buffer, such as task events.
    static func append(_ input: [UInt8], to out: inout [UInt8]) {
        let start = out.count
        let length = (input.count + 2) / 3 * 4
        out.append(contentsOf: repeatElement(0, count: length))
        alphabet.withUnsafeBufferPointer { table in
            input.withUnsafeBufferPointer { bytes in
                out.withUnsafeMutableBufferPointer { buffer in
                    var o = start
                    var i = 0
                    let n = bytes.count
                    while i + 3 <= n {
                        let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                        buffer[o] = table[Int(v >> 18 & 63)]
                        buffer[o + 1] = table[Int(v >> 12 & 63)]
                        buffer[o + 2] = table[Int(v >> 6 & 63)]
                        buffer[o + 3] = table[Int(v & 63)]
                        i += 3
                        o += 4
                    }
                    let rest = n - i
                    if rest > 0 {
                        let v = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                        buffer[o] = table[Int(v >> 18 & 63)]
                        buffer[o + 1] = table[Int(v >> 12 & 63)]
                        buffer[o + 2] = rest == 2 ? table[Int(v >> 6 & 63)] : UInt8(ascii: "=")
                        buffer[o + 3] = UInt8(ascii: "=")
                    }
                }
            }
        }
    }

    /// Decodes base64 text. `path` names the field in error messages (e.g. "body").
    public static func decode(_ text: String, path: String = "base64") throws(WireError) -> [UInt8] {
        var text = text
        let result = text.withUTF8 { bytes in
            Result<[UInt8], WireError> { () throws(WireError) -> [UInt8] in try decode(bytes, path: path) }
        }
        return try result.get()
    }

    static func decode(_ input: UnsafeBufferPointer<UInt8>, path: String) throws(WireError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var quad: UInt32 = 0
        var have = 0  // sextets collected in `quad`
        var padding = 0
        for (offset, c) in input.enumerated() {
            let v = table[Int(c)]
            switch v {
            case 254:
                continue
            case 253:
                padding += 1
                // Padding is only legal as the 3rd/4th character of the final quantum.
                if have < 2 || have + padding > 4 {
                    throw WireError(.badBase64, "\(path): misplaced '=' padding at offset \(offset)")
                }
            case 255:
                throw WireError(.badBase64, "\(path): invalid base64 character at offset \(offset)")
            default:
                if padding > 0 {
                    throw WireError(.badBase64, "\(path): data after '=' padding at offset \(offset)")
                }
                quad = quad << 6 | UInt32(v)
                have += 1
                if have == 4 {
                    out.append(UInt8(truncatingIfNeeded: quad >> 16))
                    out.append(UInt8(truncatingIfNeeded: quad >> 8))
                    out.append(UInt8(truncatingIfNeeded: quad))
                    quad = 0
                    have = 0
                }
            }
        }
        if padding > 0 {
            guard have + padding == 4 else {
                throw WireError(.badBase64, "\(path): incorrect padding")
            }
            if have == 2 {
                out.append(UInt8(truncatingIfNeeded: quad >> 4))
            } else if have == 3 {
                out.append(UInt8(truncatingIfNeeded: quad >> 10))
                out.append(UInt8(truncatingIfNeeded: quad >> 2))
            }
        } else if have != 0 {
            throw WireError(.badBase64, "\(path): incorrect padding (length is not a multiple of 4)")
        }
        return out
    }
}
