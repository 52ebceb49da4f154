/// Finding the master through Redis Sentinel, as redis-py's `Sentinel.discover_master` does for
/// Kombu's `sentinel://` transport: ask each sentinel in the URL's order for the master's address,
/// skip a sentinel that thinks the master is down or that sees too few peers, and after connecting
/// check the server really is a master (a demoted one may still be reachable at the old address).
extension RedisConnection {
    /// The master's address as a `redis://` URL carrying the sentinel URL's login, database and
    /// socket options.
    static func masterAddress(_ url: RedisURL, nodes: [SentinelNode], timeout: Double) throws(RedisError) -> RedisURL {
        guard let name = url.sentinel.masterName, !name.isEmpty else {
            throw RedisError(.misconfigured, endpoint: url.redacted,
                             message: "\(url.redacted) is a Sentinel URL but no master name is set: give the transport option master_name (e.g. --broker-transport-options '{\"master_name\": \"mymaster\"}')")
        }
        var failures: [String] = []
        for node in nodes {
            let shown = node.host.contains(":") ? "[\(node.host)]:\(node.port)" : "\(node.host):\(node.port)"
            var sentinelURL = RedisURL(endpoint: .tcp(host: node.host, port: node.port),
                                       username: url.sentinel.username, password: url.sentinel.password)
            sentinelURL.socket = url.socket
            let limit = url.sentinel.socketTimeoutSeconds ?? timeout
            do {
                let connection = try RedisConnection(url: sentinelURL, connectTimeout: limit, commandTimeout: limit)
                defer { connection.close() }
                let reply = try connection.command("SENTINEL", "MASTER", name)
                if let message = reply.errorMessage {
                    failures.append("sentinel \(shown): \(message)")
                    continue
                }
                let fields = Self.fieldMap(reply)
                let flags = (fields["flags"] ?? "").split(separator: ",")
                if flags.contains("s_down") || flags.contains("o_down") {
                    failures.append("sentinel \(shown) reports master '\(name)' down (\(fields["flags"] ?? ""))")
                    continue
                }
                let peers = Int(fields["num-other-sentinels"] ?? "") ?? 0
                if peers < url.sentinel.minOtherSentinels {
                    failures.append("sentinel \(shown) sees \(peers) other sentinels, fewer than min_other_sentinels \(url.sentinel.minOtherSentinels)")
                    continue
                }
                guard let host = fields["ip"], let port = Int(fields["port"] ?? "") else {
                    failures.append("sentinel \(shown) gave no address for master '\(name)'")
                    continue
                }
                var master = RedisURL(endpoint: .tcp(host: host, port: port), username: url.username,
                                      password: url.password, database: url.database)
                master.socket = url.socket
                return master
            } catch {
                failures.append(error.message)
            }
        }
        throw RedisError(.unreachable, endpoint: url.redacted,
                         message: "no sentinel of \(url.redacted) named a master '\(name)' that is up: \(failures.joined(separator: "; "))")
    }

    /// `ROLE` on the server a sentinel named: right after a failover the old master can still
    /// answer at the old address as a replica, where every write would fail with READONLY.
    func checkIsMaster(_ server: RedisURL) throws(RedisError) {
        let reply = try command("ROLE")
        let role = reply.arrayValue?.first?.stringValue ?? reply.errorMessage ?? "?"
        guard role == "master" else {
            throw RedisError(.unreachable, endpoint: url.redacted,
                             message: "the sentinels of \(url.redacted) named \(server.redacted), which is not a master (ROLE: \(role)); a failover is in progress")
        }
    }

    /// A flat `[key, value, key, value…]` reply (`SENTINEL MASTER`) as a dictionary.
    private static func fieldMap(_ reply: RedisReply) -> [String: String] {
        let items = reply.arrayValue ?? []
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < items.count {
            if let key = items[index].stringValue { fields[key] = items[index + 1].stringValue }
            index += 2
        }
        return fields
    }
}
