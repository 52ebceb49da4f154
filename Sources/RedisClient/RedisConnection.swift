import CHiredis

/// One blocking connection to a Redis server through hiredis.
///
/// Blocking and single-threaded on purpose: the worker gives each I/O thread its own connection
/// (hiredis contexts are not thread-safe), so this type is deliberately not `Sendable`.
/// Connecting also logs in (`AUTH`), selects the URL's database and sends `PING`, so a bad
/// password or a server that wants one is reported when connecting, not at the first real command.
///
/// After a timeout or a lost connection the reply stream can no longer be trusted (a late reply
/// would be taken as the answer to the next command), so the connection is marked broken, its
/// socket is freed, and every later call throws `.connectionLost` at once: open a new one.
public final class RedisConnection {
    /// The server this connection talks to.
    public let url: RedisURL
    /// How long a command may wait for its reply; `nil` waits forever.
    public private(set) var commandTimeout: Double?
    /// The hiredis context; `nil` once closed or broken (so it is freed exactly once).
    var context: UnsafeMutablePointer<redisContext>?
    /// The failure that broke the connection, if any.
    public internal(set) var brokenBy: RedisError?
    /// The read/write timeout currently set on the socket, for error messages.
    var socketTimeout: Double?
    /// Commands `send` wrote whose replies `receiveUnread` has not read yet.
    public internal(set) var unreadReplies = 0
    /// PONGs a subscribed connection received (see `sendSubscribedPing`).
    public internal(set) var pongsReceived = 0

    /// True once a timeout or connection failure made this connection unusable.
    public var isBroken: Bool { brokenBy != nil }
    /// True once `close()` ran or the connection broke; no further commands can be sent.
    public var isClosed: Bool { context == nil }
    /// The socket's file descriptor (nil once closed), for a caller that waits in its own `poll`
    /// for the replies of commands it `send`s (then `receiveArrived`). Only for watching
    /// readability: reading from it directly would take bytes from under hiredis.
    public var socketDescriptor: Int32? { context.map { $0.pointee.fd } }

    /// Connects, authenticates, selects the database and checks the server answers `PING`.
    ///
    /// - Parameters:
    ///   - connectTimeout: seconds allowed for the TCP/unix connect, and again for the login
    ///     round trip (`AUTH`/`SELECT`/`PING`, sent as one pipeline).
    ///   - commandTimeout: seconds a later command may wait for its reply; `nil` waits forever.
    ///     A blocking `BRPOP` with a server-side timeout needs a somewhat larger value (or `nil`).
    public init(url: RedisURL, connectTimeout: Double = 5, commandTimeout: Double? = nil) throws(RedisError) {
        SignalSetup.ignoreSIGPIPE()
        self.url = url
        self.commandTimeout = commandTimeout
        let server: RedisURL
        if case let .sentinel(nodes) = url.endpoint {
            server = try Self.masterAddress(url, nodes: nodes, timeout: connectTimeout)
        } else {
            server = url
        }
        self.context = try Self.connect(server, timeout: connectTimeout)
        do {
            try setSocketTimeout(connectTimeout)
            try logIn()
            if case .sentinel = url.endpoint { try checkIsMaster(server) }
            try setSocketTimeout(commandTimeout)
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    /// Frees the hiredis context and closes the socket. Safe to call more than once.
    public func close() {
        if let context {
            self.context = nil
            redisFree(context)
        }
    }

    /// Changes how long later commands wait for a reply (`nil`: forever). Values below one
    /// millisecond are raised to one millisecond, because a zero socket timeout means "forever".
    /// If the socket refuses the setting the connection is marked broken and the next call throws.
    public func setCommandTimeout(_ seconds: Double?) {
        commandTimeout = seconds
        guard context != nil else { return }
        do {
            try setSocketTimeout(seconds)
        } catch {
            // `setSocketTimeout` already marked the connection broken; the next call reports it.
        }
    }

    private static func connect(_ url: RedisURL, timeout: Double) throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        let limit = Timeval.make(seconds: timeout)
        let created: UnsafeMutablePointer<redisContext>?
        switch url.endpoint {
        case let .tcp(host, port):
            created = redisConnectWithTimeout(host, Int32(clamping: port), limit)
        case .sentinel:
            throw RedisError(.misconfigured, endpoint: url.redacted,
                             message: "cannot connect to \(url.redacted) directly: ask its sentinels for the master first")
        case let .unix(path):
            // hiredis 0.14 silently truncates paths longer than `sun_path` (108 bytes on Linux).
            guard path.utf8.count < 108 else {
                throw RedisError(.unreachable, endpoint: url.redacted,
                                 message: "cannot connect to \(url.redacted): the socket path is longer than 107 bytes")
            }
            created = redisConnectUnixWithTimeout(path, limit)
        }
        guard let context = created else {
            throw RedisError(.unreachable, endpoint: url.redacted,
                             message: "cannot connect to \(url.redacted): hiredis could not allocate a context")
        }
        guard context.pointee.err == 0 else {
            let failure = HiredisFailure(context)
            redisFree(context)
            throw failure.connectError(url: url, timeout: timeout)
        }
        // Kombu's `socket_keepalive`: the kernel probes an idle TCP connection (after 15 s, hiredis'
        // interval), so a peer that vanished without a FIN or RST breaks a quiet subscription too.
        if url.socket.keepAlive, case .tcp = url.endpoint { _ = redisEnableKeepAlive(context) }
        return context
    }

    /// `AUTH` (if the URL has a password), `SELECT` (if the database is not 0) and `PING`, in one
    /// round trip; the first error reply decides which error is thrown.
    private func logIn() throws(RedisError) {
        var commands: [[[UInt8]]] = []
        if let password = url.password {
            if let username = url.username {
                commands.append([Array("AUTH".utf8), Array(username.utf8), Array(password.utf8)])
            } else {
                commands.append([Array("AUTH".utf8), Array(password.utf8)])
            }
        }
        if url.database != 0 {
            commands.append([Array("SELECT".utf8), Array(String(url.database).utf8)])
        }
        commands.append([Array("PING".utf8)])
        let replies = try pipeline(commands)
        for (command, reply) in zip(commands, replies) {
            guard let text = reply.errorMessage else { continue }
            throw loginError(command: String(decoding: command[0], as: UTF8.self), reply: text)
        }
    }

    private func loginError(command: String, reply: String) -> RedisError {
        let endpoint = url.redacted
        if command == "AUTH" {
            return RedisError(.authenticationFailed, endpoint: endpoint,
                              message: "authentication failed for \(endpoint): \(reply)")
        }
        if reply.hasPrefix("NOAUTH") {
            return RedisError(.authenticationFailed, endpoint: endpoint,
                              message: "authentication failed for \(endpoint): the server requires a password and the URL gives none (\(reply))")
        }
        if command == "SELECT" {
            return RedisError(.wrongDatabase, endpoint: endpoint,
                              message: "cannot select database \(url.database) on \(endpoint): \(reply)")
        }
        return RedisError(.serverError, endpoint: endpoint,
                          message: "\(endpoint) answered \(command) with an error: \(reply)")
    }
}

/// Not `Sendable`: a hiredis context must only be used by one thread at a time.
@available(*, unavailable)
extension RedisConnection: Sendable {}
