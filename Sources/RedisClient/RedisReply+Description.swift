/// A readable rendering of replies for test failures and debug logs: printable ASCII as is,
/// other bytes as `\xNN`, so binary task bodies do not garble a terminal.
extension RedisReply: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .string(bytes): return "\"" + Self.escape(bytes) + "\""
        case let .status(text): return "+" + text
        case let .integer(value): return "(integer) \(value)"
        case let .array(elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .null: return "(nil)"
        case let .error(message): return "(error) " + message
        }
    }

    private static func escape(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".unicodeScalars)
        var out = String.UnicodeScalarView()
        for byte in bytes {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append("\\")
                out.append(Unicode.Scalar(byte))
            } else if byte >= 0x20 && byte < 0x7F {
                out.append(Unicode.Scalar(byte))
            } else {
                out.append(contentsOf: ["\\", "x", hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            }
        }
        return String(out)
    }
}
