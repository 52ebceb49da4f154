/// Why a broker URL could not be parsed.
///
/// The message names the offending part ("port 'abc' is not a number") but never repeats the whole
/// URL: a malformed URL cannot be reliably redacted, and it may carry a password.
public struct RedisURLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, without the "invalid redis URL" prefix.
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { "invalid redis URL: \(reason)" }
}
