/// Why a private Redis server could not be started or controlled; the message is meant to be read
/// by whoever started it (`lovage run`'s error, a failing test's output), so it includes the
/// server's log where there is one.
public struct PrivateRedisServerError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
