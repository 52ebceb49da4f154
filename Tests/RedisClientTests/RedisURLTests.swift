import RedisClient
import Testing

@Suite("RedisURL parsing")
struct RedisURLTests {
    struct Good: Sendable, CustomTestStringConvertible {
        let text: String
        let endpoint: RedisURL.Endpoint
        var username: String? = nil
        var password: String? = nil
        var database = 0
        var redacted: String
        var ignored: [String] = []
        var testDescription: String { text }
    }

    static let good: [Good] = [
        Good(text: "redis://", endpoint: .tcp(host: "localhost", port: 6379), redacted: "redis://localhost:6379/0"),
        Good(text: "redis://localhost", endpoint: .tcp(host: "localhost", port: 6379), redacted: "redis://localhost:6379/0"),
        Good(text: "redis://localhost/", endpoint: .tcp(host: "localhost", port: 6379), redacted: "redis://localhost:6379/0"),
        Good(text: "redis://localhost:6380/1", endpoint: .tcp(host: "localhost", port: 6380), database: 1,
             redacted: "redis://localhost:6380/1"),
        Good(text: "redis://127.0.0.1:6390/2", endpoint: .tcp(host: "127.0.0.1", port: 6390), database: 2,
             redacted: "redis://127.0.0.1:6390/2"),
        Good(text: "redis://:secret@127.0.0.1:6390/2", endpoint: .tcp(host: "127.0.0.1", port: 6390),
             password: "secret", database: 2, redacted: "redis://:***@127.0.0.1:6390/2"),
        Good(text: "redis://user:pass@redis.example.com:1234/5", endpoint: .tcp(host: "redis.example.com", port: 1234),
             username: "user", password: "pass", database: 5, redacted: "redis://user:***@redis.example.com:1234/5"),
        Good(text: "redis://us%40er:p%40ss%3Aw%2Fd%25@host/0", endpoint: .tcp(host: "host", port: 6379),
             username: "us@er", password: "p@ss:w/d%", redacted: "redis://us%40er:***@host:6379/0"),
        Good(text: "redis://:p@ss/word@host/3", endpoint: .tcp(host: "host", port: 6379),
             password: "p@ss/word", database: 3, redacted: "redis://:***@host:6379/3"),
        Good(text: "redis://user@host", endpoint: .tcp(host: "host", port: 6379), username: "user",
             redacted: "redis://user@host:6379/0"),
        Good(text: "redis://[::1]:6380/4", endpoint: .tcp(host: "::1", port: 6380), database: 4,
             redacted: "redis://[::1]:6380/4"),
        Good(text: "redis://[::1]", endpoint: .tcp(host: "::1", port: 6379), redacted: "redis://[::1]:6379/0"),
        Good(text: "redis://:pw@[::1]:7000", endpoint: .tcp(host: "::1", port: 7000), password: "pw",
             redacted: "redis://:***@[::1]:7000/0"),
        Good(text: "REDIS://LocalHost:6379/0", endpoint: .tcp(host: "LocalHost", port: 6379),
             redacted: "redis://LocalHost:6379/0"),
        Good(text: "  redis://localhost:6379/0\n", endpoint: .tcp(host: "localhost", port: 6379),
             redacted: "redis://localhost:6379/0"),
        Good(text: "redis://localhost:6379/12345", endpoint: .tcp(host: "localhost", port: 6379), database: 12345,
             redacted: "redis://localhost:6379/12345"),
        Good(text: "redis://localhost:6379?db=7", endpoint: .tcp(host: "localhost", port: 6379), database: 7,
             redacted: "redis://localhost:6379/7"),
        Good(text: "redis://localhost:6379/0?socket_timeout=5&health_check_interval=10",
             endpoint: .tcp(host: "localhost", port: 6379), redacted: "redis://localhost:6379/0",
             ignored: ["socket_timeout", "health_check_interval"]),
        Good(text: "unix:///var/run/redis/redis.sock", endpoint: .unix(path: "/var/run/redis/redis.sock"),
             redacted: "unix:///var/run/redis/redis.sock?db=0"),
        Good(text: "unix:///tmp/redis.sock?db=2", endpoint: .unix(path: "/tmp/redis.sock"), database: 2,
             redacted: "unix:///tmp/redis.sock?db=2"),
        Good(text: "unix:///tmp/redis.sock?virtual_host=6", endpoint: .unix(path: "/tmp/redis.sock"), database: 6,
             redacted: "unix:///tmp/redis.sock?db=6"),
        Good(text: "redis+socket:///tmp/redis.sock", endpoint: .unix(path: "/tmp/redis.sock"),
             redacted: "redis+socket:///tmp/redis.sock?virtual_host=0"),
        Good(text: "redis+socket:///tmp/redis.sock?virtual_host=3", endpoint: .unix(path: "/tmp/redis.sock"),
             database: 3, redacted: "redis+socket:///tmp/redis.sock?virtual_host=3"),
        Good(text: "redis+socket:///tmp/my%20redis.sock?db=1", endpoint: .unix(path: "/tmp/my redis.sock"),
             database: 1, redacted: "redis+socket:///tmp/my%20redis.sock?virtual_host=1"),
        Good(text: "unix://:pw@/tmp/r.sock?db=1", endpoint: .unix(path: "/tmp/r.sock"), password: "pw", database: 1,
             redacted: "unix://:***@/tmp/r.sock?db=1"),
        Good(text: "unix:///tmp/r.sock?username=al&password=p%26w&db=1", endpoint: .unix(path: "/tmp/r.sock"),
             username: "al", password: "p&w", database: 1, redacted: "unix://al:***@/tmp/r.sock?db=1"),
    ]

    @Test("accepts the forms Celery users write", arguments: good)
    func parsesGoodURL(_ example: Good) throws {
        let url = try RedisURL(example.text)
        #expect(url.endpoint == example.endpoint)
        #expect(url.username == example.username)
        #expect(url.password == example.password)
        #expect(url.database == example.database)
        #expect(url.redacted == example.redacted)
        #expect(url.description == example.redacted)
        #expect(url.ignoredParameters == example.ignored)
        if let password = example.password {
            #expect(!"\(url)".contains(password))
        }
        // The unredacted form parses back to the same connection settings.
        let again = try RedisURL(url.absoluteString)
        #expect(again.endpoint == url.endpoint && again.username == url.username
            && again.password == url.password && again.database == url.database)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let text: String
        let phrase: String
        var testDescription: String { text.isEmpty ? "(empty)" : text }
    }

    static let bad: [Bad] = [
        Bad(text: "", phrase: "the URL is empty"),
        Bad(text: "  \n", phrase: "the URL is empty"),
        Bad(text: "localhost:6379", phrase: "missing scheme"),
        Bad(text: "http://x", phrase: "unsupported scheme 'http'"),
        Bad(text: "amqp://guest@localhost//", phrase: "unsupported scheme 'amqp'"),
        Bad(text: "redis://host:abc", phrase: "port 'abc' is not a number"),
        Bad(text: "redis://host:99999", phrase: "port 99999 is out of range (1-65535)"),
        Bad(text: "redis://host:0/1", phrase: "port 0 is out of range"),
        Bad(text: "redis://host:-1", phrase: "port '-1' is not a number"),
        Bad(text: "redis://host:", phrase: "the port is empty"),
        Bad(text: "redis://host/notanumber", phrase: "database 'notanumber' is not a non-negative integer"),
        Bad(text: "redis://host/-1", phrase: "database '-1' is not a non-negative integer"),
        Bad(text: "redis://host/1/2", phrase: "database '1/2' is not a non-negative integer"),
        Bad(text: "redis://host/99999999999999999999999", phrase: "is too large"),
        Bad(text: "redis://host/1?db=2", phrase: "the database is given twice"),
        Bad(text: "rediss://:secret@host:6380/0", phrase: "TLS is not supported: this build's hiredis 0.14 has no TLS"),
        Bad(text: "unix://", phrase: "the unix socket URL has no path"),
        Bad(text: "unix:///", phrase: "the unix socket URL has no path"),
        Bad(text: "redis+socket://", phrase: "the unix socket URL has no path"),
        Bad(text: "unix://relative/redis.sock", phrase: "takes an absolute path, not a host 'relative'"),
        Bad(text: "unix:///tmp/r.sock?db=x", phrase: "database (db) 'x' is not a non-negative integer"),
        Bad(text: "redis+socket:///tmp/r.sock?virtual_host=-2", phrase: "database (virtual_host) '-2'"),
        Bad(text: "redis://::1:6379", phrase: "an IPv6 host must be in brackets"),
        Bad(text: "redis://[::1:6379", phrase: "unclosed '['"),
        Bad(text: "redis://[zz]:6379", phrase: "'[zz]' is not an IPv6 address"),
        Bad(text: "redis://[::1]x", phrase: "unexpected 'x' after the IPv6 host"),
        Bad(text: "redis://ho st:6379", phrase: "host 'ho st' contains characters not allowed"),
        Bad(text: "redis://:%zz@host", phrase: "invalid percent-encoding in the password"),
        Bad(text: "redis://u%4@host", phrase: "invalid percent-encoding in the user name"),
        Bad(text: "redis://:%ff@host", phrase: "the password is not valid UTF-8"),
    ]

    @Test("rejects malformed URLs, naming what is wrong", arguments: bad)
    func rejectsBadURL(_ example: Bad) {
        #expect {
            _ = try RedisURL(example.text)
        } throws: { error in
            guard let error = error as? RedisURLError else { return false }
            return error.reason.contains(example.phrase) && "\(error)".hasPrefix("invalid redis URL: ")
        }
    }

    @Test("error messages never repeat the password")
    func errorsDoNotLeakPassword() {
        for text in ["rediss://:topsecret@host:6380/0", "redis://:topsecret@host:abc", "redis://:topsecret@host/x"] {
            do {
                _ = try RedisURL(text)
                Issue.record("\(text) should not parse")
            } catch {
                #expect(!error.description.contains("topsecret"))
            }
        }
    }

    @Test("RedisURL.parse is the same as the initializer; RedisError.serverError wraps a reply")
    func conveniences() throws {
        #expect(try RedisURL.parse("redis://:pw@127.0.0.1:6390/2") == RedisURL("redis://:pw@127.0.0.1:6390/2"))
        #expect(throws: RedisURLError.self) { try RedisURL.parse("rediss://host") }
        let error = RedisError.serverError("ack: ERR boom")
        #expect(error.code == .serverError)
        #expect(error.description == "ack: ERR boom")
    }

    @Test("a URL built from parts renders and redacts like a parsed one")
    func builtFromParts() throws {
        let url = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: 6390), username: "a b", password: "p:w", database: 2)
        #expect(url.redacted == "redis://a%20b:***@127.0.0.1:6390/2")
        #expect(url.absoluteString == "redis://a%20b:p%3Aw@127.0.0.1:6390/2")
        #expect(try RedisURL(url.absoluteString) == url)
        let socket = RedisURL(endpoint: .unix(path: "/tmp/x.sock"), database: 1)
        #expect(socket.redacted == "unix:///tmp/x.sock?db=1")
        #expect(try RedisURL(socket.absoluteString) == socket)
    }
}
