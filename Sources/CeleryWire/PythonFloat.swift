/// Python's `repr(float)` in Swift.
///
/// `json.dumps` writes floats with `float.__repr__`: the shortest digit string that round-trips,
/// laid out in fixed notation when the decimal exponent is in [-4, 16) and in scientific notation
/// (`1e-05`, `1e+16`, at least two exponent digits) otherwise, always with `.0` on integral values.
/// Swift's `description` already yields the shortest round-tripping digits; only the layout differs,
/// so we take its digits and exponent and lay them out the Python way.
public enum PythonFloat {
    /// `repr(x)` as Python prints it (`nan`, `inf`, `-inf` for the non-finite values).
    public static func repr(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return finiteRepr(x)
    }

    /// The token `json.dumps` writes: like `repr` but `NaN`, `Infinity`, `-Infinity` for non-finite values.
    public static func jsonToken(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x < 0 ? "-Infinity" : "Infinity" }
        return finiteRepr(x)
    }

    private static func finiteRepr(_ x: Double) -> String {
        let (digits, decpt) = shortestDigits(x)
        var out = x.sign == .minus ? "-" : ""
        if digits.isEmpty {  // zero
            out += "0.0"
            return out
        }
        let n = digits.count
        if decpt > -4 && decpt <= 16 {
            if decpt <= 0 {
                out += "0."
                out += String(repeating: "0", count: -decpt)
                out += String(decoding: digits, as: UTF8.self)
            } else if decpt >= n {
                out += String(decoding: digits, as: UTF8.self)
                out += String(repeating: "0", count: decpt - n)
                out += ".0"
            } else {
                out += String(decoding: digits[0..<decpt], as: UTF8.self)
                out += "."
                out += String(decoding: digits[decpt...], as: UTF8.self)
            }
        } else {
            out += String(decoding: digits[0..<1], as: UTF8.self)
            if n > 1 {
                out += "."
                out += String(decoding: digits[1...], as: UTF8.self)
            }
            let e = decpt - 1
            out += e < 0 ? "e-" : "e+"
            let mag = e < 0 ? -e : e
            if mag < 10 { out += "0" }
            out += String(mag)
        }
        return out
    }

    /// Shortest round-trip significant digits (ASCII, no leading/trailing zeros) and the decimal
    /// point position: value = 0.d1d2d3… × 10^decpt. Empty digits means zero.
    static func shortestDigits(_ x: Double) -> (digits: [UInt8], decpt: Int) {
        let text = Array(x.magnitude.description.utf8)  // e.g. "1795921805.2052083", "1e-05", "5e-324"
        var mantissa: [UInt8] = []
        mantissa.reserveCapacity(text.count)
        var pointAt: Int? = nil
        var exponent = 0
        var i = 0
        while i < text.count {
            let c = text[i]
            if c == UInt8(ascii: ".") {
                pointAt = mantissa.count
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                var sign = 1
                var j = i + 1
                if j < text.count && (text[j] == UInt8(ascii: "-") || text[j] == UInt8(ascii: "+")) {
                    if text[j] == UInt8(ascii: "-") { sign = -1 }
                    j += 1
                }
                var e = 0
                while j < text.count, text[j] >= 0x30, text[j] <= 0x39 {
                    e = e * 10 + Int(text[j] - 0x30)
                    j += 1
                }
                exponent = sign * e
                break
            } else if c >= 0x30 && c <= 0x39 {
                mantissa.append(c)
            }
            i += 1
        }
        var decpt = (pointAt ?? mantissa.count) + exponent
        var lead = 0
        while lead < mantissa.count && mantissa[lead] == UInt8(ascii: "0") {
            lead += 1
            decpt -= 1
        }
        var trail = mantissa.count
        while trail > lead && mantissa[trail - 1] == UInt8(ascii: "0") { trail -= 1 }
        if lead >= trail { return ([], 0) }
        return (Array(mantissa[lead..<trail]), decpt)
    }
}
