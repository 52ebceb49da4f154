/// A connection-level failure: the server could not be reached, refused the login, stopped
/// answering or went away.
///
/// Server error replies to ordinary commands are not `RedisError`s (they come back as
/// `RedisReply.error`). The `code` lets a worker decide what to do (retry an outage, stop on bad
/// credentials); the message is a full sentence for the operator and always names the endpoint,
/// with its password redacted.
public struct RedisError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: Equatable, Sendable {
        /// The host could not be resolved or routed to, or the socket path does not exist.
        case unreachable
        /// Nothing listens on the port or socket.
        case connectionRefused
        /// Connecting, or waiting for a reply, took longer than allowed.
        case timeout
        /// `AUTH` was rejected, or the server wants a password and none was given.
        case authenticationFailed
        /// `SELECT` of the URL's database failed (e.g. beyond the server's `databases` setting).
        case wrongDatabase
        /// The reply stream could not be parsed; the connection cannot be trusted any more.
        case protocolError
        /// The server closed or reset the connection, or it was closed or broken earlier.
        case connectionLost
        /// The server answered the connection handshake with an unexpected error (e.g. `LOADING`).
        case serverError
        /// The connection settings cannot work (e.g. a `sentinel://` URL without `master_name`).
        case misconfigured
    }

    public let code: Code
    /// The URL of the server, password redacted.
    public let endpoint: String
    /// A complete sentence describing the failure, including the endpoint.
    public let message: String

    public init(_ code: Code, endpoint: String, message: String) {
        self.code = code
        self.endpoint = endpoint
        self.message = message
    }

    public var description: String { message }

    /// An error reply the caller decided is fatal for its operation (e.g. a failed `EXEC` in a
    /// broker's ack), so it can travel through the same `throws(RedisError)` paths as
    /// connection failures. `message` should say what was being done and quote the reply.
    public static func serverError(_ message: String, endpoint: String = "") -> RedisError {
        RedisError(.serverError, endpoint: endpoint, message: message)
    }
}
