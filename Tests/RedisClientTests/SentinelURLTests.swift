import RedisClient
import Testing

@Suite("Sentinel URLs")
struct SentinelURLTests {
    @Test("Kombu's ';'-separated sentinel list: nodes in order, default port 26379, the first URL's login and database")
    func parsesTheList() throws {
        let url = try RedisURL("sentinel://:s3cret@10.0.0.1:26379/2;sentinel://10.0.0.2;sentinel://[::1]:26380/2")
        #expect(url.endpoint == .sentinel(nodes: [SentinelNode(host: "10.0.0.1", port: 26379),
                                                  SentinelNode(host: "10.0.0.2", port: 26379),
                                                  SentinelNode(host: "::1", port: 26380)]))
        #expect(url.password == "s3cret")
        #expect(url.database == 2)
        #expect(url.redacted == "sentinel://:***@10.0.0.1:26379/2;sentinel://:***@10.0.0.2:26379/2;sentinel://:***@[::1]:26380/2")
        let again = try RedisURL(url.absoluteString)
        #expect(again.endpoint == url.endpoint && again.password == url.password && again.database == url.database)
    }

    @Test("one sentinel is a list of one")
    func oneSentinel() throws {
        let url = try RedisURL("sentinel://127.0.0.1:26379")
        #expect(url.endpoint == .sentinel(nodes: [SentinelNode(host: "127.0.0.1", port: 26379)]))
    }

    @Test("mistakes in the list are named", arguments: [
        ("sentinel://a:26379;redis://b:6379", "URL 2 of the ';'-separated list is not sentinel://"),
        ("sentinel://:one@a;sentinel://:two@b", "sentinel URL 2 gives other credentials than the first"),
        ("sentinel://a/1;sentinel://b/2", "sentinel URL 2 names database 2, the first names 1"),
        ("sentinel://a:notaport", "sentinel URL 1: port 'notaport' is not a number"),
        ("redis://a:6379;redis://b:6379", "Kombu's failover list) is not supported"),
        ("rediss://a:6380/0", "TLS is not supported"),
    ])
    func rejects(_ text: String, _ phrase: String) {
        #expect {
            _ = try RedisURL(text)
        } throws: { error in
            "\(error)".contains(phrase)
        }
    }

    @Test("connecting without a master name says which option is missing, before any network traffic")
    func needsMasterName() throws {
        let url = try RedisURL("sentinel://127.0.0.1:1")
        #expect {
            _ = try RedisConnection(url: url, connectTimeout: 0.5)
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.code == .misconfigured && error.message.contains("master_name")
        }
    }

    @Test("no sentinel answering is an outage naming every sentinel tried")
    func noSentinelAnswers() throws {
        var url = try RedisURL("sentinel://127.0.0.1:1;sentinel://127.0.0.1:2")
        url.sentinel.masterName = "mymaster"
        #expect {
            _ = try RedisConnection(url: url, connectTimeout: 0.5)
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.code == .unreachable && error.message.contains("no sentinel of")
                && error.message.contains("127.0.0.1:1") && error.message.contains("127.0.0.1:2")
        }
    }
}
