/// Where a Redis server is and how to log in to it, parsed from a Celery/Kombu broker URL.
///
/// Users copy broker URLs from their Celery settings, so this accepts the same spellings:
/// `redis://[[username]:password@]host[:port][/db]`, `unix:///path/to/redis.sock` and
/// `redis+socket:///path/to/redis.sock`, the socket forms with `?virtual_host=N` or `?db=N`, and
/// Kombu's Sentinel form `sentinel://[:password@]host:26379[/db];sentinel://host2:26379` (the master's
/// name comes from the transport options, `sentinel.masterName`).
/// Its `description` hides the password so that a URL can be logged safely.
public struct RedisURL: Hashable, Sendable, CustomStringConvertible {
    /// How to reach the server.
    public enum Endpoint: Hashable, Sendable {
        /// A host name, IPv4 address or IPv6 address (without brackets) and a TCP port.
        case tcp(host: String, port: Int)
        /// An absolute path to a unix domain socket.
        case unix(path: String)
        /// Redis Sentinels to ask, in order, for the address of the master `sentinel.masterName`;
        /// every connection asks again, so a reconnect after a failover finds the new master.
        case sentinel(nodes: [SentinelNode])
    }

    /// Port used when a `redis://` URL names none, as in Kombu.
    public static let defaultPort = 6379

    public let endpoint: Endpoint
    /// ACL user name (`AUTH username password`); `nil` means the `default` user.
    public let username: String?
    /// Password (`AUTH [username] password`); `nil` means no `AUTH` is sent.
    public let password: String?
    /// Database index to `SELECT` after connecting (0 needs no `SELECT`).
    public let database: Int
    /// The scheme as written (`redis`, `unix` or `redis+socket`), kept so logs echo the user's form.
    public let scheme: String
    /// Query parameters this client does not use (e.g. `socket_timeout`), so callers can warn
    /// about them instead of silently dropping settings the user thinks are in effect.
    public let ignoredParameters: [String]
    /// Socket timeouts, keepalive and health checks for connections to this server (Kombu's
    /// transport options; not part of the URL text).
    public var socket = RedisSocketOptions()
    /// The master name and sentinel login for a `.sentinel` endpoint (Kombu's transport options).
    public var sentinel = SentinelSettings()

    /// Builds a URL from parts, for programs that know the endpoint (e.g. a test server).
    /// A negative `database` is clamped to 0.
    public init(endpoint: Endpoint, username: String? = nil, password: String? = nil, database: Int = 0) {
        let scheme: String
        switch endpoint {
        case .tcp: scheme = "redis"
        case .unix: scheme = "unix"
        case .sentinel: scheme = "sentinel"
        }
        self.init(endpoint: endpoint, username: username, password: password, database: max(0, database),
                  scheme: scheme, ignoredParameters: [])
    }

    init(endpoint: Endpoint, username: String?, password: String?, database: Int, scheme: String,
         ignoredParameters: [String]) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.scheme = scheme
        self.ignoredParameters = ignoredParameters
    }

    /// The URL with the password shown as `***`: safe for logs and error messages.
    public var redacted: String { render(redactPassword: true) }

    /// The URL with the real (percent-encoded) password; parses back to an equal `RedisURL`.
    /// Use it to hand the URL to another program, never for logging.
    public var absoluteString: String { render(redactPassword: false) }

    /// Same as `redacted`, so string interpolation never leaks the password.
    public var description: String { redacted }

    private func render(redactPassword: Bool) -> String {
        var userInfo = ""
        if username != nil || password != nil {
            userInfo = PercentEncoding.encode(username ?? "")
            if let password {
                userInfo += ":" + (redactPassword ? "***" : PercentEncoding.encode(password))
            }
            userInfo += "@"
        }
        switch endpoint {
        case let .tcp(host, port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "\(scheme)://\(userInfo)\(shownHost):\(port)/\(database)"
        case let .sentinel(nodes):
            return nodes.map { node in
                let shownHost = node.host.contains(":") ? "[\(node.host)]" : node.host
                return "sentinel://\(userInfo)\(shownHost):\(node.port)/\(database)"
            }.joined(separator: ";")
        case let .unix(path):
            let parameter = scheme == "redis+socket" ? "virtual_host" : "db"
            return "\(scheme)://\(userInfo)\(PercentEncoding.encode(path, keepSlash: true))?\(parameter)=\(database)"
        }
    }
}
