import LiveWorker
import RedisClient
import Testing

@Suite("broker_transport_options as JSON")
struct KombuTransportOptionsTests {
    @Test("Kombu's keys set the transport, the sockets and the Sentinel settings")
    func appliesKnownKeys() throws {
        let options = try KombuTransportOptions.parse("""
            {"visibility_timeout": 7200, "priority_steps": [0, 5], "queue_order_strategy": "priority",
             "socket_timeout": 5, "socket_connect_timeout": 2.5, "socket_keepalive": false, "health_check_interval": 10,
             "master_name": "mymaster", "min_other_sentinels": 1,
             "sentinel_kwargs": {"password": "spw", "socket_timeout": 0.1}}
            """, what: "--broker-transport-options")
        #expect(options.transport.visibilityTimeout == .seconds(7200))
        #expect(options.transport.prioritySteps == [0, 5])
        #expect(options.transport.queueOrderStrategy == .priority)
        #expect(options.socket.socketTimeoutSeconds == 5)
        #expect(options.socket.connectTimeoutSeconds == 2.5)
        #expect(options.socket.keepAlive == false)
        #expect(options.socket.healthCheckIntervalSeconds == 10)
        #expect(options.sentinel.masterName == "mymaster")
        #expect(options.sentinel.minOtherSentinels == 1)
        #expect(options.sentinel.password == "spw")
        #expect(options.sentinel.socketTimeoutSeconds == 0.1)
        let url = try options.applied(to: try RedisURL("sentinel://127.0.0.1:26379"), what: "broker")
        #expect(url.sentinel.masterName == "mymaster" && url.socket.socketTimeoutSeconds == 5)
    }

    @Test("socket_timeout null waits for ever, as in Kombu")
    func nullTimeout() throws {
        let options = try KombuTransportOptions.parse(#"{"socket_timeout": null}"#, what: "x")
        #expect(options.socket.socketTimeoutSeconds == nil)
    }

    @Test("the defaults: 120 s command timeout, 4 s connect, keepalive on, health check every 25 s")
    func defaults() throws {
        let options = try KombuTransportOptions.parse("{}", what: "x")
        #expect(options.socket == RedisSocketOptions())
        #expect(options.socket.socketTimeoutSeconds == 120 && options.socket.connectTimeoutSeconds == 4)
        #expect(options.socket.keepAlive && options.socket.healthCheckIntervalSeconds == 25)
    }

    @Test("keys Kombu knows that change nothing here are listed as ignored")
    func ignoredKeys() throws {
        let options = try KombuTransportOptions.parse(#"{"max_connections": 20, "retry_on_timeout": true}"#, what: "x")
        #expect(options.ignoredKeys == ["max_connections", "retry_on_timeout"])
    }

    @Test("bad values and unknown keys are named", arguments: [
        (#"{"socket_timout": 5}"#, "x: socket_timout: unknown transport option"),
        (#"{"socket_timeout": "5s"}"#, "x: socket_timeout: expected a number of seconds above 0"),
        (#"{"socket_timeout": 0}"#, "expected a number of seconds above 0"),
        (#"{"priority_steps": [3, 6]}"#, "priority_steps: expected increasing integers starting at 0"),
        (#"{"queue_order_strategy": "fifo"}"#, "queue_order_strategy: expected"),
        (#"{"global_keyprefix": "dify:"}"#, "global_keyprefix: not supported"),
        (#"{"sentinel_kwargs": {"ssl": true}}"#, "sentinel_kwargs.ssl: not supported"),
        (#"{"master_name": ""}"#, "master_name: expected the master's name"),
        (#"["master_name"]"#, "expected a JSON object"),
        (#"{"master_name": "#, "not JSON"),
    ])
    func rejects(_ text: String, _ phrase: String) {
        #expect {
            _ = try KombuTransportOptions.parse(text, what: "x")
        } throws: { error in
            "\(error)".contains(phrase)
        }
    }

    @Test("a Sentinel URL without master_name is refused before connecting")
    func sentinelNeedsMasterName() throws {
        let options = try KombuTransportOptions.parse("{}", what: "x")
        #expect {
            _ = try options.applied(to: try RedisURL("sentinel://127.0.0.1:26379"), what: "broker")
        } throws: { error in
            "\(error)".contains("master_name")
        }
    }
}
