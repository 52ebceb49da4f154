/// Kombu's socket settings for a Redis connection (`broker_transport_options` keys `socket_timeout`,
/// `socket_connect_timeout`, `socket_keepalive`, `health_check_interval`; kombu/transport/redis.py),
/// carried on the `RedisURL` so every connection a worker opens to that server gets them.
///
/// Lovage's defaults differ from Kombu's where Kombu's would let a worker hang silently: Kombu
/// leaves `socket_timeout` unset (wait for ever) and keepalive off, so a broker that stops
/// answering without closing the socket (a partition with no RST, a SIGSTOPped or wedged server)
/// freezes a Celery worker with nothing in its log. Here a command waits at most
/// `socketTimeoutSeconds` (Celery's `redis_socket_timeout`, 120 s, the one command timeout Celery
/// itself sets a default for) and TCP keepalive is on. docs/broker.md has the table.
public struct RedisSocketOptions: Hashable, Sendable {
    /// `socket_timeout`: how long one command may wait for its reply; nil waits for ever.
    public var socketTimeoutSeconds: Double? = 120
    /// `socket_connect_timeout`: how long connecting and logging in may take (Celery's
    /// `broker_connection_timeout`, 4 s).
    public var connectTimeoutSeconds: Double = 4
    /// `socket_keepalive`: SO_KEEPALIVE on TCP connections (hiredis probes after 15 s idle), so a
    /// dead peer on an idle connection (a pub/sub subscription) is noticed by the kernel.
    public var keepAlive = true
    /// `health_check_interval`: a connection idle for longer is checked with PING before use, and a
    /// subscription is PINGed this often (Kombu's `maybe_check_subclient_health`). 25 s as Kombu.
    public var healthCheckIntervalSeconds: Double = 25

    public init() {}
}
