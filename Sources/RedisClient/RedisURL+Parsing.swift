/// Parsing of broker URL strings, kept apart from the value type so the rules are in one place.
///
/// Hand-written rather than `Foundation.URL` because Foundation's acceptance and percent-decoding
/// differ between platforms, and because every rejection here must say exactly what is wrong.
extension RedisURL {
    /// Parses a broker URL. Surrounding whitespace (e.g. a newline from an env file) is ignored.
    ///
    /// Reserved characters in user names, passwords and socket paths must be percent-encoded
    /// (`%40` for `@`), as with Kombu; as a convenience an unencoded `@` or `/` in a TCP URL's
    /// password is tolerated because the host is taken after the last `@`.
    public init(_ string: String) throws(RedisURLError) {
        let text = string.trimmingASCIIWhitespace()
        guard !text.isEmpty else {
            throw RedisURLError("the URL is empty (expected e.g. redis://localhost:6379/0)")
        }
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw RedisURLError("missing scheme (expected redis://host:port/db, unix:///path/to/redis.sock or redis+socket:///path/to/redis.sock)")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        let rest = text[schemeEnd.upperBound...]
        switch scheme {
        case "redis":
            if rest.contains(";redis://") || rest.contains(";sentinel://") {
                throw RedisURLError("a ';'-separated list of redis:// URLs (Kombu's failover list) is not supported: give one redis:// URL, or the sentinels as sentinel://host1:26379;sentinel://host2:26379 with master_name")
            }
            self = try Self.parseTCP(rest)
        case "sentinel":
            self = try Self.parseSentinelList(text)
        case "unix", "redis+socket":
            self = try Self.parseUnix(rest, scheme: scheme)
        case "rediss":
            throw RedisURLError("TLS is not supported: this build's hiredis 0.14 has no TLS (use redis:// on a trusted network, or a TLS tunnel)")
        default:
            throw RedisURLError("unsupported scheme '\(scheme)' (expected redis://, sentinel://, unix:// or redis+socket://)")
        }
    }

    /// Same as `init(_:)`, for call sites that read better as `try RedisURL.parse(text)`.
    public static func parse(_ string: String) throws(RedisURLError) -> RedisURL {
        try RedisURL(string)
    }

    /// `sentinel://[:password@]host[:port][/db];sentinel://host2[:port]…` (Kombu's `alt` list). The
    /// password, user name and database are the master's: given in the first URL, or repeated
    /// identically; a different value in a later one is refused rather than silently dropped.
    private static func parseSentinelList(_ text: Substring) throws(RedisURLError) -> RedisURL {
        var nodes: [SentinelNode] = []
        var first: RedisURL?
        for (index, part) in text.split(separator: ";", omittingEmptySubsequences: true).enumerated() {
            let item = String(part).trimmingASCIIWhitespace()
            guard let schemeEnd = item.firstRange(of: "://"), item[..<schemeEnd.lowerBound].lowercased() == "sentinel" else {
                throw RedisURLError("URL \(index + 1) of the ';'-separated list is not sentinel:// (a list of URLs is Kombu's Sentinel form: sentinel://host1:26379;sentinel://host2:26379)")
            }
            let one: RedisURL
            do throws(RedisURLError) { one = try parseTCP(item[schemeEnd.upperBound...], defaultPort: SentinelNode.defaultPort) } catch {
                throw RedisURLError("sentinel URL \(index + 1): \(error.reason)")
            }
            guard case let .tcp(host, port) = one.endpoint else { continue }
            if let first {
                if (one.password != nil && one.password != first.password) || (one.username != nil && one.username != first.username) {
                    throw RedisURLError("sentinel URL \(index + 1) gives other credentials than the first; the master's password goes in the first URL (a sentinel's own goes in sentinel_kwargs)")
                }
                if one.database != 0 && one.database != first.database {
                    throw RedisURLError("sentinel URL \(index + 1) names database \(one.database), the first names \(first.database)")
                }
            } else {
                first = one
            }
            nodes.append(SentinelNode(host: host, port: port))
        }
        guard let first, !nodes.isEmpty else {
            throw RedisURLError("the sentinel URL lists no sentinel (expected sentinel://host:26379;sentinel://host2:26379)")
        }
        return RedisURL(endpoint: .sentinel(nodes: nodes), username: first.username, password: first.password,
                        database: first.database, scheme: "sentinel", ignoredParameters: first.ignoredParameters)
    }

    /// `[[username]:password@]host[:port][/db][?query]`
    private static func parseTCP(_ rest: Substring, defaultPort: Int = RedisURL.defaultPort) throws(RedisURLError) -> RedisURL {
        let (beforeQuery, query) = splitQuery(rest)
        var credentials = Credentials()
        var hostAndPath = beforeQuery
        if let at = beforeQuery.lastIndex(of: "@") {
            credentials = try parseUserInfo(beforeQuery[..<at])
            hostAndPath = beforeQuery[beforeQuery.index(after: at)...]
        }
        let authority: Substring
        let path: Substring
        if let slash = hostAndPath.firstIndex(of: "/") {
            authority = hostAndPath[..<slash]
            path = hostAndPath[hostAndPath.index(after: slash)...]
        } else {
            authority = hostAndPath
            path = ""
        }
        let (host, port) = try parseHostAndPort(authority, defaultPort: defaultPort)
        let pathDatabase = path.isEmpty ? nil : try parseDatabase(path, source: "database")
        let parameters = try parseQuery(query, into: &credentials)
        let database = try mergeDatabase(path: pathDatabase, query: parameters.database)
        return RedisURL(endpoint: .tcp(host: host, port: port), username: credentials.username,
                        password: credentials.password, database: database ?? 0, scheme: "redis",
                        ignoredParameters: parameters.ignored)
    }

    /// `[[username]:password@]/absolute/path[?db=N|?virtual_host=N]`
    private static func parseUnix(_ rest: Substring, scheme: String) throws(RedisURLError) -> RedisURL {
        let (beforeQuery, query) = splitQuery(rest)
        let slash = beforeQuery.firstIndex(of: "/") ?? beforeQuery.endIndex
        var authority = beforeQuery[..<slash]
        let rawPath = beforeQuery[slash...]
        var credentials = Credentials()
        if let at = authority.lastIndex(of: "@") {
            credentials = try parseUserInfo(authority[..<at])
            authority = authority[authority.index(after: at)...]
        }
        guard authority.isEmpty else {
            throw RedisURLError("a unix socket URL takes an absolute path, not a host '\(authority)' (expected \(scheme):///path/to/redis.sock)")
        }
        guard rawPath.count > 1 else {
            throw RedisURLError("the unix socket URL has no path (expected \(scheme):///path/to/redis.sock)")
        }
        let path = try PercentEncoding.decode(rawPath, what: "socket path")
        let parameters = try parseQuery(query, into: &credentials)
        return RedisURL(endpoint: .unix(path: path), username: credentials.username,
                        password: credentials.password, database: parameters.database ?? 0, scheme: scheme,
                        ignoredParameters: parameters.ignored)
    }

    private struct Credentials {
        var username: String?
        var password: String?
    }

    private struct QueryParameters {
        var database: Int?
        var ignored: [String] = []
    }

    private static func splitQuery(_ text: Substring) -> (Substring, Substring) {
        guard let mark = text.firstIndex(of: "?") else { return (text, "") }
        return (text[..<mark], text[text.index(after: mark)...])
    }

    /// `username:password`, `:password` (password only, the usual Celery form) or `username`.
    /// Empty parts mean "not given".
    private static func parseUserInfo(_ text: Substring) throws(RedisURLError) -> Credentials {
        var credentials = Credentials()
        if let colon = text.firstIndex(of: ":") {
            let user = try PercentEncoding.decode(text[..<colon], what: "user name")
            let password = try PercentEncoding.decode(text[text.index(after: colon)...], what: "password")
            credentials.username = user.isEmpty ? nil : user
            credentials.password = password.isEmpty ? nil : password
        } else {
            let user = try PercentEncoding.decode(text, what: "user name")
            credentials.username = user.isEmpty ? nil : user
        }
        return credentials
    }

    /// `host`, `host:port`, `[ipv6]`, `[ipv6]:port` or empty (Kombu's default, localhost).
    private static func parseHostAndPort(_ authority: Substring, defaultPort: Int) throws(RedisURLError) -> (String, Int) {
        var host: Substring
        var portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else {
                throw RedisURLError("unclosed '[' in the IPv6 host (expected e.g. redis://[::1]:6379/0)")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else {
                    throw RedisURLError("unexpected '\(after)' after the IPv6 host (expected ]:port)")
                }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw RedisURLError("'[\(host)]' is not an IPv6 address")
            }
        } else {
            let colons = authority.filter { $0 == ":" }.count
            guard colons <= 1 else {
                throw RedisURLError("an IPv6 host must be in brackets (expected e.g. redis://[::1]:6379/0)")
            }
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            if host.isEmpty { host = "localhost" }
            let allowed = host.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                    || scalar == "-" || scalar == "." || scalar == "_")
            }
            guard allowed else {
                throw RedisURLError("host '\(host)' contains characters not allowed in a host name")
            }
        }
        guard let portText else { return (String(host), defaultPort) }
        guard !portText.isEmpty else {
            throw RedisURLError("the port is empty (remove the ':' or give a port, e.g. :6379)")
        }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw RedisURLError("port '\(portText)' is not a number")
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw RedisURLError("port \(portText) is out of range (1-65535)")
        }
        return (String(host), port)
    }

    /// A database index: a non-negative decimal integer (Redis' own limit is its `databases`
    /// setting, which only the server knows; `SELECT` reports it).
    private static func parseDatabase(_ text: Substring, source: String) throws(RedisURLError) -> Int {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw RedisURLError("\(source) '\(text)' is not a non-negative integer")
        }
        guard let value = Int(text) else {
            throw RedisURLError("\(source) '\(text)' is too large")
        }
        return value
    }

    /// `db` / `virtual_host` select the database (Kombu's socket form); `username` / `password`
    /// are redis-py's way to give credentials for a socket. Anything else is reported as ignored.
    private static func parseQuery(_ query: Substring, into credentials: inout Credentials)
        throws(RedisURLError) -> QueryParameters {
        var result = QueryParameters()
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let key: Substring
            let rawValue: Substring
            if let equals = item.firstIndex(of: "=") {
                key = item[..<equals]
                rawValue = item[item.index(after: equals)...]
            } else {
                key = item
                rawValue = ""
            }
            switch key {
            case "db", "virtual_host":
                // Kombu writes `virtual_host=/0` for a path-style vhost; accept the slash.
                let digits = rawValue.first == "/" ? rawValue.dropFirst() : rawValue
                let value = try parseDatabase(digits, source: "database (\(key))")
                if let earlier = result.database, earlier != value {
                    throw RedisURLError("the database is given twice (\(earlier) and \(value))")
                }
                result.database = value
            case "password":
                let value = try PercentEncoding.decode(rawValue, what: "password")
                if let earlier = credentials.password, earlier != value {
                    throw RedisURLError("the password is given twice (in the user info and as ?password=)")
                }
                credentials.password = value.isEmpty ? nil : value
            case "username":
                let value = try PercentEncoding.decode(rawValue, what: "user name")
                if let earlier = credentials.username, earlier != value {
                    throw RedisURLError("the user name is given twice (in the user info and as ?username=)")
                }
                credentials.username = value.isEmpty ? nil : value
            default:
                result.ignored.append(String(key))
            }
        }
        return result
    }

    private static func mergeDatabase(path: Int?, query: Int?) throws(RedisURLError) -> Int? {
        if let path, let query, path != query {
            throw RedisURLError("the database is given twice (/\(path) in the path and \(query) in the query)")
        }
        return path ?? query
    }
}

extension String {
    /// Drops leading and trailing spaces, tabs and line breaks (no Foundation needed).
    func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
