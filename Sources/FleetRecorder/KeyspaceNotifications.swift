import RedisClient

/// `notify-keyspace-events` for the recorder's `--keyspace-events`: adds keyspace notifications
/// of list commands (`K` and `l`) to what the server already has, and puts the old value back.
///
/// It changes server configuration, which is why it is only done when asked: the extra cost is
/// one small PUBLISH inside Redis per list command, seen by every subscriber of those channels.
/// Managed Redis services often disable CONFIG; then the recorder says so and falls back to
/// sampling queue lengths.
struct KeyspaceNotifications {
    let previous: String
    let applied: String

    /// The setting with `K` (keyspace channel) and `l` (list commands) added; `A` already covers `l`.
    static func withListEvents(_ current: String) -> String {
        var flags = current
        if !flags.contains("K") { flags += "K" }
        if !flags.contains("l") && !flags.contains("A") { flags += "l" }
        return flags
    }

    static func enable(on connection: RedisConnection) throws(RedisError) -> KeyspaceNotifications {
        let reply = try connection.command("CONFIG", "GET", "notify-keyspace-events")
        if let message = reply.errorMessage { throw RedisError.serverError(message, endpoint: connection.url.redacted) }
        let current = reply.arrayValue?.last?.stringValue ?? ""
        let wanted = withListEvents(current)
        if wanted != current {
            let set = try connection.command("CONFIG", "SET", "notify-keyspace-events", wanted)
            if let message = set.errorMessage { throw RedisError.serverError(message, endpoint: connection.url.redacted) }
        }
        return KeyspaceNotifications(previous: current, applied: wanted)
    }

    func restore(on connection: RedisConnection) throws(RedisError) {
        guard previous != applied else { return }
        let reply = try connection.command("CONFIG", "SET", "notify-keyspace-events", previous)
        if let message = reply.errorMessage { throw RedisError.serverError(message, endpoint: connection.url.redacted) }
    }
}
