/// What a `sentinel://` URL needs besides the sentinels' addresses, from Kombu's
/// `broker_transport_options` (kombu/transport/redis.py `SentinelChannel`): the master's name,
/// and `sentinel_kwargs` for the connections to the sentinels themselves.
///
/// The URL's own user name and password are the master's (Kombu passes them to `master_for`);
/// a sentinel that has `requirepass` needs `sentinel_kwargs.password`, as with redis-py.
public struct SentinelSettings: Hashable, Sendable {
    /// `master_name`: the name the sentinels monitor the master under. Required.
    public var masterName: String?
    /// `sentinel_kwargs.password` / `.username`: how to log in to the sentinels.
    public var password: String?
    public var username: String?
    /// `sentinel_kwargs.socket_timeout`: how long a sentinel may take to answer (default: the
    /// connection's connect timeout).
    public var socketTimeoutSeconds: Double?
    /// `min_other_sentinels`: ignore a sentinel that sees fewer peers than this (redis-py's
    /// `check_master_state`), so a sentinel cut off from the others cannot name a stale master.
    public var minOtherSentinels = 0

    public init() {}
}

/// One sentinel's address in a `sentinel://h1:26379;sentinel://h2:26379` URL.
public struct SentinelNode: Hashable, Sendable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Port used when a `sentinel://` URL names none (Kombu's `SentinelTransport.default_port`).
    public static let defaultPort = 26379
}
