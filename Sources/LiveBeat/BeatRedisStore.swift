import RedisClient

/// `lovage beat`'s state in Redis, for one beat process: the lock that makes exactly one of any
/// number of beats on one Redis send (`acquireOrRenew`, `release`), the atomic send that pushes an
/// entry's message and records its last run only while the lock is still this beat's (`send`), and
/// the last runs a restarted beat resumes from (`lastRuns`). The keys are `BeatRedisKeys`.
///
/// Every check-then-write is one Lua script, so no other client's command runs between the check
/// and the writes. Not `Sendable`: it uses the caller's connection, which one thread at a time may
/// use (hiredis contexts are not thread-safe).
public struct BeatRedisStore {
    public let connection: RedisConnection
    public let keys: BeatRedisKeys
    /// The id this beat writes into the lock, unique per process and start (e.g.
    /// `beat@host:4711:9f2c`): another beat on the same host, or this one restarted, must not
    /// mistake the lock for its own.
    public let holderID: String

    public init(connection: RedisConnection, holderID: String, keys: BeatRedisKeys = BeatRedisKeys()) {
        precondition(!holderID.isEmpty, "a beat's holder id must not be empty")
        self.connection = connection
        self.holderID = holderID
        self.keys = keys
    }

    /// Runs `EVAL script numkeys keys… arguments…` and throws on an error reply, naming `what`.
    func evaluate(_ script: String, keys scriptKeys: [String], arguments: [[UInt8]],
                  what: String) throws(RedisError) -> RedisReply {
        var command: [[UInt8]] = [Array("EVAL".utf8), Array(script.utf8), Array(String(scriptKeys.count).utf8)]
        command += scriptKeys.map { Array($0.utf8) }
        command += arguments
        let reply = try connection.command(command)
        if let message = reply.errorMessage { throw serverError("\(what): \(message)") }
        return reply
    }

    /// A `RedisError` for a reply this store cannot use, naming the server.
    func serverError(_ message: String) -> RedisError {
        RedisError.serverError("\(message) (from \(connection.url.redacted))", endpoint: connection.url.redacted)
    }
}
