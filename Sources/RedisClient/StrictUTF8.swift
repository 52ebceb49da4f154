/// Decodes bytes as UTF-8 only if they are valid UTF-8.
///
/// `String(decoding:as:)` silently replaces bad bytes with U+FFFD, which would turn a binary
/// value into a different string; `String(validating:as:)` does this check but needs macOS 15,
/// and the package still targets macOS 14. Valid input decodes to exactly the same bytes.
func strictUTF8String(_ bytes: some Collection<UInt8>) -> String? {
    let text = String(decoding: bytes, as: UTF8.self)
    return text.utf8.elementsEqual(bytes) ? text : nil
}
