/// The single error type of CeleryWire.
///
/// Every decoder in this module reports bad input through `WireError` (typed throws) instead of
/// trapping: a worker reads bytes written by other programs, and one malformed message must cost
/// an error log line and a reject, never the process. `code` is for programs (metrics, dead-letter
/// routing); `reason` is for humans and always names *where* the problem is, e.g.
/// `headers.id: missing` or `JSON: unexpected end of input at byte 120`.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Machine-readable category of a wire problem.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// The bytes are not JSON (bad token, bad escape, control character, invalid UTF-8, trailing data).
        case invalidJSON
        /// The JSON text ended in the middle of a value (also: empty input).
        case truncated
        /// Arrays/objects nested deeper than `JSONValue.maxDepth`.
        case tooDeep
        /// A base64 field (the Kombu body) is not valid base64.
        case badBase64
        /// A required field is absent.
        case missingField
        /// A field is present but has the wrong JSON type.
        case wrongType
        /// A field has the right type but an unusable value (empty task id, unknown Kombu type tag, ...).
        case badValue
        /// The task body is not the protocol v2 `[args, kwargs, embed]` triple.
        case badBody
        /// A content type this module does not decode (anything but JSON, except the refused ones).
        case unsupportedContentType
        /// A content type this module deliberately refuses: pickle and YAML can execute code when loaded.
        case refusedContentType
        /// A content-encoding other than UTF-8 on a JSON body.
        case unsupportedContentEncoding
        /// A Kombu `properties.body_encoding` other than base64 (Kombu only knows base64).
        case unsupportedBodyEncoding
        /// An ISO 8601 timestamp (eta, expires, date_done, datetime tag) that does not parse.
        case badTimestamp
    }

    /// What kind of problem this is.
    public var code: Code
    /// Human explanation naming the field or byte offset at fault.
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }

    /// The same error with `prefix` prepended to the reason (used when a nested decoder's error is
    /// reported from the outside, e.g. the body's JSON error becomes `body: JSON: ...`).
    public func prefixed(_ prefix: String) -> WireError {
        WireError(code, "\(prefix): \(reason)")
    }
}

// MARK: - Internal constructors shared by the decoders

extension WireError {
    static func missing(_ path: String) -> WireError {
        WireError(.missingField, "\(path): missing")
    }

    static func wrongType(_ path: String, expected: String, got value: JSONValue) -> WireError {
        WireError(.wrongType, "\(path): expected \(expected), got \(value.typeName)")
    }
}
