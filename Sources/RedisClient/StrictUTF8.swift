/// Decodes bytes as UTF-8 only if they are valid UTF-8.
///
/// `String(decoding:as:)` silently replaces bad bytes with U+FFFD, which would turn a binary
/// value into a different string; `String(validating:as:)` does this check but needs macOS 15,
/// and the package still targets macOS 14. Valid input decodes to exactly the same bytes.
///
/// ASCII (every queue name and delivery tag a fetch returns) is valid as it is and skips the
/// comparison, which was about 1% of a worker's instructions per task.
func strictUTF8String(_ bytes: some Collection<UInt8>) -> String? {
    if let ascii = bytes.withContiguousStorageIfAvailable({ buffer -> String? in
        var high: UInt8 = 0
        for byte in buffer { high |= byte }
        return high < 0x80 ? String(decoding: buffer, as: UTF8.self) : nil
    }), let ascii {
        return ascii
    }
    let text = String(decoding: bytes, as: UTF8.self)
    return text.utf8.elementsEqual(bytes) ? text : nil
}
