/// One reply from the server, converted out of hiredis' C structures so it can outlive them.
///
/// Bulk strings stay as bytes because Celery messages and keys are arbitrary binary data; a
/// server error reply (`-ERR …`) is a value here, not a thrown error, because inside a pipeline or
/// `MULTI` it is just one result among others and the connection is still fine.
public enum RedisReply: Equatable, Sendable {
    /// A bulk string (`$`), binary-safe.
    case string([UInt8])
    /// A simple status line (`+OK`, `+QUEUED`, `+PONG`).
    case status(String)
    /// An integer (`:`).
    case integer(Int64)
    /// A multi-bulk (`*`), e.g. `HGETALL`, `EXEC`, `BRPOP`.
    case array([RedisReply])
    /// A null bulk string or null array (`$-1`, `*-1`): missing key, `BRPOP` timeout, aborted `EXEC`.
    case null
    /// An error line (`-ERR …`, `-WRONGTYPE …`), without the leading `-`.
    case error(String)
}

extension RedisReply {
    /// The text of a bulk string (if valid UTF-8) or a status; `nil` for anything else.
    public var stringValue: String? {
        switch self {
        case let .string(bytes): return strictUTF8String(bytes)
        case let .status(text): return text
        default: return nil
        }
    }

    /// The bytes of a bulk string or status; `nil` for anything else.
    public var bytes: [UInt8]? {
        switch self {
        case let .string(bytes): return bytes
        case let .status(text): return Array(text.utf8)
        default: return nil
        }
    }

    /// The value of an integer reply; `nil` for anything else (bulk strings are not parsed).
    public var integerValue: Int64? {
        if case let .integer(value) = self { return value }
        return nil
    }

    /// The elements of an array reply; `nil` for anything else.
    public var arrayValue: [RedisReply]? {
        if case let .array(elements) = self { return elements }
        return nil
    }

    /// True for a null reply.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The message of an error reply; `nil` for anything else.
    public var errorMessage: String? {
        if case let .error(message) = self { return message }
        return nil
    }

    /// True for an error reply.
    public var isError: Bool { errorMessage != nil }
}
