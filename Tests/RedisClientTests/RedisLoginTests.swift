import RedisClient
import PrivateRedis
import Testing

@Suite("AUTH, SELECT and unix sockets")
struct RedisLoginTests {
    @Test("requirepass: right password works, wrong or missing password fails at connect")
    func requirePass() throws {
        try withTestServer(requirePass: "s3cret pw") { server in
            let connection = try RedisConnection(url: server.url)
            #expect(try connection.command("PING") == .status("PONG"))

            let wrong = server.url(database: 0, password: "nope")
            let wrongError = expectRedisError { _ = try RedisConnection(url: wrong) }
            #expect(wrongError?.code == .authenticationFailed)
            #expect(wrongError?.message == "authentication failed for redis://:***@127.0.0.1:\(server.port)/0: WRONGPASS invalid username-password pair or user is disabled.")
            #expect(wrongError?.message.contains("nope") == false)

            let none = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: server.port))
            let noneError = expectRedisError { _ = try RedisConnection(url: none) }
            #expect(noneError?.code == .authenticationFailed)
            #expect(noneError?.message.contains("requires a password") == true)
            #expect(noneError?.message.contains("NOAUTH") == true)

            // With a database too, SELECT's NOAUTH is still an authentication failure.
            let noneDB3 = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: server.port), database: 3)
            #expect(expectRedisError { _ = try RedisConnection(url: noneDB3) }?.code == .authenticationFailed)
        }
    }

    @Test("a password sent to a server without one is an authentication failure")
    func passwordButServerHasNone() throws {
        try withTestServer { server in
            let error = expectRedisError { _ = try RedisConnection(url: server.url(database: 0, password: "x")) }
            #expect(error?.code == .authenticationFailed)
        }
    }

    @Test("an ACL user with its password works; a wrong user or password fails")
    func aclUser() throws {
        let alice = PrivateRedisServer.ACLUser(name: "alice", password: "wonder>land")
        try withTestServer(aclUser: alice) { server in
            let connection = try RedisConnection(url: server.url(database: 0, username: "alice", password: "wonder>land"))
            #expect(try connection.command("ACL", "WHOAMI") == .string(b("alice")))
            #expect(try connection.command("SET", "k", "v") == .status("OK"))

            let wrongUser = expectRedisError {
                _ = try RedisConnection(url: server.url(database: 0, username: "bob", password: "wonder>land"))
            }
            #expect(wrongUser?.code == .authenticationFailed)
            #expect(wrongUser?.message.contains("redis://bob:***@127.0.0.1") == true)
            #expect(wrongUser?.message.contains("WRONGPASS") == true)

            let wrongPassword = expectRedisError {
                _ = try RedisConnection(url: server.url(database: 0, username: "alice", password: "nope"))
            }
            #expect(wrongPassword?.code == .authenticationFailed)

            // Parsed from a URL string with percent-encoding, as a user would write it.
            let parsed = try RedisURL("redis://alice:wonder%3Eland@127.0.0.1:\(server.port)/0")
            #expect(try RedisConnection(url: parsed).command("ACL", "WHOAMI") == .string(b("alice")))
        }
    }

    @Test("database 3 keeps its keys apart from database 0; a database out of range fails")
    func selectDatabase() throws {
        try withTestServer { server in
            let db0 = try RedisConnection(url: server.url)
            let db3 = try RedisConnection(url: server.url(database: 3))
            #expect(try db3.command("SET", "k", "in three") == .status("OK"))
            #expect(try db0.command("GET", "k") == .null)
            #expect(try db3.command("GET", "k") == .string(b("in three")))
            #expect(try db0.command("DBSIZE") == .integer(0))
            #expect(try db3.command("DBSIZE") == .integer(1))

            let error = expectRedisError { _ = try RedisConnection(url: server.url(database: 99)) }
            #expect(error?.code == .wrongDatabase)
            #expect(error?.message.contains("cannot select database 99 on redis://127.0.0.1:\(server.port)/99") == true)
            #expect(error?.message.contains("DB index is out of range") == true)
        }
    }

    @Test("unix socket URLs connect, with a password and a database")
    func unixSocket() throws {
        try withTestServer(requirePass: "pw", unixSocket: true) { server in
            let url = try #require(server.unixURL)
            let connection = try RedisConnection(url: url)
            #expect(try connection.command("PING") == .status("PONG"))
            guard case let .unix(path) = url.endpoint else {
                Issue.record("expected a unix endpoint")
                return
            }
            for text in ["unix://:pw@\(path)?db=2", "redis+socket://:pw@\(path)?virtual_host=2",
                         "unix://\(path)?password=pw&db=2"] {
                let parsed = try RedisURL(text)
                let socketConnection = try RedisConnection(url: parsed)
                #expect(try socketConnection.command("SET", "where", text) == .status("OK"))
            }
            let db2 = try RedisConnection(url: server.url(database: 2))
            #expect(try db2.command("GET", "where") == .string(b("unix://\(path)?password=pw&db=2")))
        }
    }
}
