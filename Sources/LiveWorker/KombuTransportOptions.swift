import CeleryWire
import RedisClient
import WorkerCore

/// Celery's `broker_transport_options` (and `result_backend_transport_options`) given as the JSON
/// object a Celery user already has in their settings, e.g.
/// `{"master_name": "mymaster", "sentinel_kwargs": {"password": "pw"}, "socket_timeout": 5}`.
///
/// Every key Kombu's Redis transport reads is known here (kombu/transport/redis.py
/// `Channel.from_transport_options` and `SentinelChannel`): the ones Lovage applies change the
/// transport, the URL's socket options or its Sentinel settings; the ones it has no use for are
/// reported as ignored (so nobody thinks they are in effect); an unknown key, or one whose effect
/// Lovage cannot reproduce (`global_keyprefix`), is an error naming the key.
public struct KombuTransportOptions: Sendable, Equatable {
    public var transport = BrokerTransportOptions()
    public var socket = RedisSocketOptions()
    public var sentinel = SentinelSettings()
    /// Keys Kombu knows that change nothing here, in the order given.
    public var ignoredKeys: [String] = []
    /// The keys that were given, so a command-line flag with a default can tell whether the JSON
    /// already set its value.
    public var givenKeys: [String] = []

    public init() {}

    /// Kombu keys with no effect in Lovage: connection pooling and client naming (Lovage keeps one
    /// connection per role), re-authentication tokens, fanout key spelling (Celery's defaults are
    /// what Lovage speaks), the async restore sweep's tuning (Lovage sweeps on its own schedule).
    static let ignorable: Set<String> = [
        "max_connections", "client_name", "retry_on_timeout", "socket_keepalive_options", "fanout_prefix",
        "fanout_patterns", "unacked_restore_interval", "unacked_restore_throttle", "reauth_check_interval",
        "unacked_key", "unacked_index_key", "unacked_mutex_key", "ack_emulation", "brpop_timeout",
    ]

    /// Parses the JSON object; `what` names its source in errors (a flag or an environment variable).
    public static func parse(_ text: String, what: String) throws(TransportOptionsError) -> KombuTransportOptions {
        let value: JSONValue
        do { value = try JSONValue.parse(Array(text.utf8)) } catch {
            throw TransportOptionsError("\(what): not JSON (\(error.reason)); expected an object like {\"master_name\": \"mymaster\"}")
        }
        guard case .object(let object) = value else {
            throw TransportOptionsError("\(what): expected a JSON object like {\"master_name\": \"mymaster\"}, got \(value.typeName)")
        }
        var options = KombuTransportOptions()
        for key in object.keys {
            guard let item = object[key] else { continue }
            try options.apply(key: key, item, what: what)
            options.givenKeys.append(key)
        }
        return options
    }

    private mutating func apply(key: String, _ item: JSONValue, what: String) throws(TransportOptionsError) {
        let name = "\(what): \(key)"
        switch key {
        case "visibility_timeout":
            transport.visibilityTimeout = .microseconds(Int64(try Self.positiveSeconds(item, name) * 1_000_000))
        case "priority_steps":
            let steps = item.arrayValue?.compactMap(\.intValue).map(Int.init) ?? []
            guard let valid = BrokerTransportOptions.prioritySteps(parsing: steps.map(String.init).joined(separator: ",")),
                  valid.count == item.arrayValue?.count else {
                throw TransportOptionsError("\(name): expected increasing integers starting at 0, e.g. [0, 3, 6, 9], got \(item)")
            }
            transport.prioritySteps = valid
        case "queue_order_strategy":
            guard let text = item.stringValue, let strategy = QueueOrderStrategy(rawValue: text) else {
                throw TransportOptionsError("\(name): expected \"round_robin\", \"priority\" or \"sorted\", got \(item)")
            }
            transport.queueOrderStrategy = strategy
        case "unacked_mutex_expire":
            transport.unackedMutexExpire = .microseconds(Int64(try Self.positiveSeconds(item, name) * 1_000_000))
        case "socket_timeout":
            socket.socketTimeoutSeconds = item.isNull ? nil : try Self.positiveSeconds(item, name)
        case "socket_connect_timeout":
            socket.connectTimeoutSeconds = item.isNull ? RedisSocketOptions().connectTimeoutSeconds : try Self.positiveSeconds(item, name)
        case "socket_keepalive":
            guard let flag = item.boolValue ?? (item.isNull ? false : nil) else {
                throw TransportOptionsError("\(name): expected true or false, got \(item)")
            }
            socket.keepAlive = flag
        case "health_check_interval":
            socket.healthCheckIntervalSeconds = try Self.positiveSeconds(item, name)
        case "master_name":
            guard let text = item.stringValue, !text.isEmpty else {
                throw TransportOptionsError("\(name): expected the master's name as a string, got \(item)")
            }
            sentinel.masterName = text
        case "min_other_sentinels":
            guard let count = item.intValue, count >= 0 else {
                throw TransportOptionsError("\(name): expected a non-negative integer, got \(item)")
            }
            sentinel.minOtherSentinels = Int(count)
        case "sentinel_kwargs":
            try applySentinelKeywords(item, name)
        case "global_keyprefix":
            throw TransportOptionsError("\(name): not supported (Lovage uses Celery's default key names; a prefix would make it read other lists than your producers write)")
        default:
            guard Self.ignorable.contains(key) else {
                throw TransportOptionsError("\(name): unknown transport option (Kombu's Redis transport knows visibility_timeout, priority_steps, queue_order_strategy, socket_timeout, socket_connect_timeout, socket_keepalive, health_check_interval, master_name, min_other_sentinels, sentinel_kwargs, …)")
            }
            ignoredKeys.append(key)
        }
    }

    /// `sentinel_kwargs`: redis-py connection arguments for the sentinels.
    private mutating func applySentinelKeywords(_ item: JSONValue, _ name: String) throws(TransportOptionsError) {
        if item.isNull { return }
        guard case .object(let keywords) = item else {
            throw TransportOptionsError("\(name): expected an object like {\"password\": \"…\"}, got \(item.typeName)")
        }
        for key in keywords.keys {
            guard let value = keywords[key] else { continue }
            switch key {
            case "password":
                guard value.isNull || value.stringValue != nil else { throw TransportOptionsError("\(name).password: expected a string") }
                sentinel.password = value.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            case "username":
                guard value.isNull || value.stringValue != nil else { throw TransportOptionsError("\(name).username: expected a string") }
                sentinel.username = value.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            case "socket_timeout", "socket_connect_timeout":
                sentinel.socketTimeoutSeconds = value.isNull ? nil : try Self.positiveSeconds(value, "\(name).\(key)")
            default:
                throw TransportOptionsError("\(name).\(key): not supported (Lovage reads password, username and socket_timeout)")
            }
        }
    }

    private static func positiveSeconds(_ item: JSONValue, _ name: String) throws(TransportOptionsError) -> Double {
        guard let seconds = item.doubleValue, seconds > 0, seconds.isFinite else {
            throw TransportOptionsError("\(name): expected a number of seconds above 0, got \(item)")
        }
        return seconds
    }

    /// The URL with these socket and Sentinel settings. A `sentinel://` URL without `master_name`
    /// is refused here, before anything connects.
    public func applied(to url: RedisURL, what: String) throws(TransportOptionsError) -> RedisURL {
        var url = url
        url.socket = socket
        url.sentinel = sentinel
        if case .sentinel = url.endpoint, sentinel.masterName == nil {
            throw TransportOptionsError("\(what) \(url.redacted) is a Sentinel URL: give the master's name as the transport option master_name, e.g. --broker-transport-options '{\"master_name\": \"mymaster\"}'")
        }
        return url
    }
}

/// A transport options value that cannot be used, with what and where.
public struct TransportOptionsError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
