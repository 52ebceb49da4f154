/// Why a test Redis server could not be started or controlled; the message is meant to be read
/// in a failing test's output, so it includes the server's log where there is one.
public struct PrivateRedisServerError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
