import CHiredis

/// Sending commands and reading replies.
extension RedisConnection {
    /// Sends one command and returns its reply. Arguments are sent with explicit lengths, so any
    /// bytes (NUL, `\x06\x16`, invalid UTF-8) arrive unchanged.
    ///
    /// An error reply from the server (`-ERR …`, `-WRONGTYPE …`) is returned as `.error`; only
    /// connection-level problems throw. An empty argument list is answered locally with `.error`
    /// (Redis would silently wait for more input).
    public func command(_ arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        let context = try usableContextWithNothingUnread()
        guard !arguments.isEmpty else { return .error("ERR empty command (no arguments given)") }
        let request = RESPCommand.encode([arguments])
        let appended = request.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { redisAppendFormattedCommand(context, $0.baseAddress, $0.count) }
        }
        var raw: UnsafeMutableRawPointer?
        guard appended == REDIS_OK, redisGetReply(context, &raw) == REDIS_OK, let raw else { throw markBroken(context) }
        defer { freeReplyObject(raw) }
        return RedisReply(converting: raw.assumingMemoryBound(to: redisReply.self))
    }

    /// `command("SET", "key", "value")`: text arguments, sent as their UTF-8 bytes.
    public func command(_ arguments: String...) throws(RedisError) -> RedisReply {
        try command(arguments.map { Array($0.utf8) })
    }

    /// Text arguments as an array, sent as their UTF-8 bytes.
    public func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        try command(arguments.map { Array($0.utf8) })
    }

    /// Sends several commands in one write and reads their replies in order, so a task's
    /// `MULTI … EXEC` (or any batch) costs one round trip. Each command's error reply is returned in
    /// its slot; a connection failure part-way throws and breaks the connection, because some
    /// commands may have run and their replies are lost.
    public func pipeline(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisReply] {
        try usableContextWithNothingUnread()
        guard !commands.isEmpty else { return [] }
        if commands.contains(where: { $0.isEmpty }) {
            // An empty command would leave Redis waiting and shift every later reply.
            return try pipelineRejectingEmpty(commands)
        }
        try send(commands)
        return try receiveUnread()
    }

    /// Writes commands to the server without waiting for their replies, so the caller can do other
    /// work while Redis runs them; `receiveUnread()` reads the replies later. Until then the
    /// connection takes no other command (a reply would be taken for the wrong one).
    public func send(_ commands: [[[UInt8]]]) throws(RedisError) {
        let context = try usableContext()
        guard !commands.isEmpty else { return }
        // A closure, not the key path `\.isEmpty`: a key path is looked up at run time on every call.
        precondition(!commands.contains(where: { $0.isEmpty }), "an empty command would leave Redis waiting")
        let request = RESPCommand.encode(commands)
        let status = request.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { redisAppendFormattedCommand(context, $0.baseAddress, $0.count) }
        }
        guard status == REDIS_OK else { throw markBroken(context) }
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw markBroken(context) }
        }
        unreadReplies += commands.count
    }

    /// The replies of every command sent and not yet answered, in order (waiting for them).
    public func receiveUnread() throws(RedisError) -> [RedisReply] {
        let context = try usableContext()
        var replies: [RedisReply] = []
        replies.reserveCapacity(unreadReplies)
        while unreadReplies > 0 {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw markBroken(context) }
            unreadReplies -= 1
            replies.append(RedisReply(converting: raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        return replies
    }

    /// The replies of sent commands that have arrived, without waiting for the rest: one read of
    /// the socket, then every complete reply in hiredis' buffer, in order. Call it only when the
    /// socket polls readable (`socketDescriptor`): otherwise the read waits up to the socket timeout.
    /// A closed or failed socket throws and breaks the connection, as `receiveUnread` does.
    public func receiveArrived() throws(RedisError) -> [RedisReply] {
        let context = try usableContext()
        guard unreadReplies > 0 else { return [] }
        guard redisBufferRead(context) == REDIS_OK else { throw markBroken(context) }
        var replies: [RedisReply] = []
        while unreadReplies > 0 {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { throw markBroken(context) }
            guard let raw else { break }
            unreadReplies -= 1
            replies.append(RedisReply(converting: raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        return replies
    }

    @discardableResult
    private func usableContextWithNothingUnread() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        let context = try usableContext()
        precondition(unreadReplies == 0, "a command was sent on a connection with \(unreadReplies) unread replies")
        return context
    }

    /// Runs the non-empty commands and puts a local `.error` in the slots of the empty ones.
    private func pipelineRejectingEmpty(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisReply] {
        var sent = try pipeline(commands.filter { !$0.isEmpty })[...]
        return commands.map { arguments in
            arguments.isEmpty ? .error("ERR empty command (no arguments given)") : (sent.popFirst() ?? .null)
        }
    }

    /// The live context, or the error explaining why there is none.
    func usableContext() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        if let brokenBy {
            throw RedisError(.connectionLost, endpoint: url.redacted,
                             message: "the connection to \(url.redacted) is unusable after an earlier failure (\(brokenBy.message)); open a new connection")
        }
        guard let context else {
            throw RedisError(.connectionLost, endpoint: url.redacted,
                             message: "the connection to \(url.redacted) was closed")
        }
        return context
    }

    /// Reads hiredis' error, frees the context (the stream is out of sync) and remembers why.
    func markBroken(_ context: UnsafeMutablePointer<redisContext>) -> RedisError {
        let error = HiredisFailure(context).commandError(url: url, timeout: socketTimeout)
        brokenBy = error
        close()
        return error
    }

    /// Sets the socket's read and write timeout (`nil`: none).
    func setSocketTimeout(_ seconds: Double?) throws(RedisError) {
        let context = try usableContext()
        guard redisSetTimeout(context, Timeval.make(seconds: seconds)) == REDIS_OK else {
            throw markBroken(context)
        }
        socketTimeout = seconds
    }
}
