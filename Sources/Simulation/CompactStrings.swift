/// A fresh compact copy of a string. Interpolation and concatenation leave even short results in a
/// heap buffer; a copy of up to 15 UTF-8 bytes is stored inline and costs no reference counting
/// each time a task request carrying it is copied.
func nativeString(_ text: String) -> String {
    String(decoding: Array(text.utf8), as: UTF8.self)
}

/// "t123" / "d123": an inline (small) string from a one-letter prefix and a number, built without
/// the generic integer-to-text machinery.
func numberedID(_ prefix: UInt8, _ number: Int) -> String {
    var digits: (UInt64, UInt64) = (0, 0)
    return withUnsafeMutableBytes(of: &digits) { buffer in
        var value = number
        var count = 0
        repeat {
            buffer[15 - count] = UInt8(truncatingIfNeeded: 48 + value % 10)
            value /= 10
            count += 1
        } while value > 0 && count < 15
        buffer[15 - count] = prefix
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[(15 - count)...]), as: UTF8.self)
    }
}
