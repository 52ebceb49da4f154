/// A fresh compact copy of a string. Interpolation and concatenation leave even short results in a
/// heap buffer; a copy of up to 15 UTF-8 bytes is stored inline and costs no reference counting
/// each time a task request carrying it is copied.
func nativeString(_ text: String) -> String {
    String(decoding: Array(text.utf8), as: UTF8.self)
}

/// "t123" / "d123": an inline (small) string from a one-letter prefix and a number, built without
/// the generic integer-to-text machinery. Two per task (the id and the delivery tag), so the
/// common case writes the string's two words directly (`smallASCIIString`): `String(decoding:as:)`
/// cost about 250 instructions to validate and pack fifteen bytes it was handed already packed.
func numberedID(_ prefix: UInt8, _ number: Int) -> String {
    if number >= 0 && number < 100_000_000_000_000 && smallStringLayoutHolds {
        return smallASCIIString(prefix, number)
    }
    return decodedNumberedID(prefix, number)
}

/// `numberedID` by `String(decoding:as:)`: the reference the fast path is checked against.
func decodedNumberedID(_ prefix: UInt8, _ number: Int) -> String {
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

/// The prefix and the decimal digits of `number` (0 ≤ number < 10^14, so at most 15 bytes) as
/// a small string, written in Swift's 64-bit layout of one: the bytes in order from the first
/// word's low byte, and in the top byte of the second word the flags of an immortal, small, ASCII
/// string (0xE0) with the length. ASCII-only and at most 15 bytes, it is the value
/// `String(decoding:as:)` builds for the same bytes (`smallStringLayoutHolds` checks it once).
@inline(__always)
private func smallASCIIString(_ prefix: UInt8, _ number: Int) -> String {
    var length = 1
    var probe = number
    while probe >= 10 { probe /= 10; length += 1 }
    var words: (UInt64, UInt64) = (0, 0)
    withUnsafeMutableBytes(of: &words) { bytes in
        bytes[0] = prefix
        var value = number
        var index = length
        repeat {
            bytes[index] = UInt8(truncatingIfNeeded: 48 + value % 10)
            value /= 10
            index -= 1
        } while index > 0
        bytes[15] = 0xE0 | UInt8(length + 1)
    }
    return unsafeBitCast(words, to: String.self)
}

/// Whether `smallASCIIString` gives exactly `String(decoding:as:)`'s strings on this platform
/// (64-bit, this string layout): checked once, on lengths 2 to 15, else `numberedID` decodes.
let smallStringLayoutHolds: Bool = {
    guard MemoryLayout<String>.size == 16, MemoryLayout<Int>.size == 8 else { return false }
    for number in [0, 7, 42, 1_234_567, 12_345_678, 99_999_999_999_999] {
        let fast = smallASCIIString(UInt8(ascii: "t"), number)
        let decoded = decodedNumberedID(UInt8(ascii: "t"), number)
        guard fast == decoded, fast.utf8.count == decoded.utf8.count,
              unsafeBitCast(fast, to: (UInt64, UInt64).self) == unsafeBitCast(decoded, to: (UInt64, UInt64).self)
        else { return false }
    }
    return true
}()

/// The simulator's running numbers for new ids ("t1", "t2", … and "d1", "d2", …): each `next()`
/// adds one to the decimal digits of the previous id in place, a few instructions for the usual
/// last digit, instead of writing every digit of the number again. The string is the one
/// `numberedID(prefix, number)` gives; past 14 digits, or where `smallStringLayoutHolds` is false,
/// it is built by `numberedID`.
struct NumberedIDCounter {
    let prefix: UInt8
    private(set) var number = 0
    /// The current id in the small-string layout (see `smallASCIIString`): byte 0 the prefix,
    /// bytes 1..<length the digits, byte 15 the flags and length.
    private var words: (UInt64, UInt64) = (0, 0)
    private var length = 0

    init(prefix: UInt8) { self.prefix = prefix }

    /// The next number and its id.
    mutating func next() -> (id: String, number: Int) {
        number += 1
        guard smallStringLayoutHolds, number < 100_000_000_000_000 else { return (numberedID(prefix, number), number) }
        if length == 0 {
            words = unsafeBitCast(numberedID(prefix, number), to: (UInt64, UInt64).self)
            length = 1
            var probe = number
            while probe > 0 { probe /= 10; length += 1 }
            return (unsafeBitCast(words, to: String.self), number)
        }
        let prefix = self.prefix
        let oldLength = length
        length = withUnsafeMutableBytes(of: &words) { bytes -> Int in
            var index = oldLength - 1
            while index > 0 && bytes[index] == UInt8(ascii: "9") {
                bytes[index] = UInt8(ascii: "0")
                index -= 1
            }
            guard index == 0 else {
                bytes[index] += 1
                return oldLength
            }
            // 9…9 + 1: a 1 and one more 0.
            bytes[0] = prefix
            bytes[1] = UInt8(ascii: "1")
            bytes[oldLength] = UInt8(ascii: "0")
            bytes[15] = 0xE0 | UInt8(oldLength + 1)
            return oldLength + 1
        }
        return (unsafeBitCast(words, to: String.self), number)
    }
}
