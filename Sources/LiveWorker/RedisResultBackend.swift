import CeleryWire
import RedisClient
import WorkerCore

/// Celery's Redis result backend (celery/backends/redis.py, captures 50–56): a result document in
/// `celery-task-meta-<id>`, written with `SETEX <result_expires>` and PUBLISHed on the same channel
/// in one MULTI/EXEC, after a GET that keeps a SUCCESS from being overwritten.
public final class RedisResultBackend {
    let connection: RedisConnection
    /// `result_expires` (1 day by default).
    public let resultExpires: TimeSpan
    /// `result_expires` in whole seconds (at least 1), as the argument SETEX and the store script take.
    let expiresArgument: [UInt8]

    public init(url: RedisURL, resultExpires: TimeSpan = .seconds(86_400), connectTimeout: Double? = nil) throws(RedisError) {
        connection = try RedisConnection(url: url, connectTimeout: connectTimeout ?? url.socket.connectTimeoutSeconds,
                                         commandTimeout: url.socket.socketTimeoutSeconds)
        self.resultExpires = resultExpires
        expiresArgument = Array(String(max(1, resultExpires.microseconds / 1_000_000)).utf8)
    }

    public static func key(taskID: String) -> String { "celery-task-meta-" + taskID }

    /// Stores a document unless the task already has a SUCCESS (Celery never overwrites one).
    /// Returns whether it was written.
    @discardableResult
    public func store(_ document: ResultDocument) throws(RedisError) -> Bool {
        let key = Array(Self.key(taskID: document.taskID).utf8)
        let existing = try connection.command([Array("GET".utf8), key])
        if let bytes = existing.bytes, let current = try? ResultDocument.decode(bytes), current.status == "SUCCESS" {
            return false
        }
        let value = document.encode()
        let replies = try connection.pipeline([
            ["MULTI"].bytes,
            [Array("SETEX".utf8), key, expiresArgument, value],
            [Array("PUBLISH".utf8), key, value],
            ["EXEC"].bytes,
        ])
        try RedisBroker.check(replies, what: "store result \(document.taskID)")
        return true
    }

    /// The same check-then-write as one atomic script (GET; unless SUCCESS: SETEX and PUBLISH), so
    /// a worker can pipeline many results and acks in one round trip. Returns 1 when written.
    static let storeScript = """
    local current = redis.call('GET', KEYS[1])
    if current then
      local ok, document = pcall(cjson.decode, current)
      if ok and type(document) == 'table' and document['status'] == 'SUCCESS' then return 0 end
    end
    redis.call('SETEX', KEYS[1], ARGV[1], ARGV[2])
    redis.call('PUBLISH', KEYS[1], ARGV[2])
    return 1
    """

    /// The command that stores `document` (for a pipeline); see `storeScript`. With `scriptSHA` (the
    /// script loaded on the server the command goes to) it is an EVALSHA, so Redis does not read and
    /// hash the script's text for every result.
    public func storeCommand(_ document: ResultDocument, scriptSHA: [UInt8]? = nil) -> [[UInt8]] {
        let script = scriptSHA.map { [CommandBytes.evalsha, $0] } ?? [CommandBytes.eval, Array(Self.storeScript.utf8)]
        return script + [CommandBytes.one, Array(Self.key(taskID: document.taskID).utf8), expiresArgument, document.encode()]
    }

    /// Runs a batch of commands in one round trip.
    public func pipeline(_ commands: [[[UInt8]]]) throws(RedisError) {
        guard !commands.isEmpty else { return }
        try RedisBroker.check(try connection.pipeline(commands), what: "store results")
    }

    /// The stored document, if any.
    public func fetch(taskID: String) throws(RedisError) -> ResultDocument? {
        let reply = try connection.command([Array("GET".utf8), Array(Self.key(taskID: taskID).utf8)])
        guard let bytes = reply.bytes else { return nil }
        return try? ResultDocument.decode(bytes)
    }
}
