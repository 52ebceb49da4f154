import Glibc
import RedisClient
import PrivateRedis
import Testing

@Suite("Commands against a real redis-server")
struct RedisCommandTests {
    @Test("binary values (NUL, \\x06\\x16, high bytes) round-trip exactly")
    func binaryRoundTrip() throws {
        try withTestServer { server in
            let connection = try RedisConnection(url: server.url)
            let value: [UInt8] = [0x00, 0x06, 0x16, 0x00, 0xFF, 0x80, 0x0D, 0x0A, 0x24, 0x2A, 0xC3, 0x28] + Array(0...255)
            let key: [UInt8] = [0x6B, 0x00, 0xFE]
            #expect(try connection.command([b("SET"), key, value]) == .status("OK"))
            #expect(try connection.command([b("GET"), key]) == .string(value))
            #expect(try connection.command([b("STRLEN"), key]) == .integer(Int64(value.count)))
            // Empty values and large values too.
            #expect(try connection.command([b("SET"), b("empty"), []]) == .status("OK"))
            #expect(try connection.command("GET", "empty") == .string([]))
            let big = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            #expect(try connection.command([b("SET"), b("big"), big]) == .status("OK"))
            #expect(try connection.command([b("GET"), b("big")]) == .string(big))
            #expect(try connection.command("GET", "missing") == .null)
        }
    }

    @Test("LPUSH then RPOP and BRPOP take the oldest first")
    func listOrder() throws {
        try withTestServer { server in
            let connection = try RedisConnection(url: server.url, commandTimeout: 5)
            #expect(try connection.command("LPUSH", "q", "one", "two", "three") == .integer(3))
            #expect(try connection.command("RPOP", "q") == .string(b("one")))
            #expect(try connection.command("BRPOP", "q", "1") == .array([.string(b("q")), .string(b("two"))]))
            #expect(try connection.command(["BRPOP", "other", "q", "1"]) == .array([.string(b("q")), .string(b("three"))]))
            #expect(try connection.command("RPOP", "q") == .null)
        }
    }

    @Test("BRPOP with a 1 s timeout on an empty list returns null after about a second")
    func brpopTimesOut() throws {
        try withTestServer { server in
            let connection = try RedisConnection(url: server.url)
            connection.setCommandTimeout(2.5)
            let (reply, seconds) = try timed { try connection.command("BRPOP", "empty", "1") }
            #expect(reply == .null)
            #expect(seconds > 0.9 && seconds < 2.5, "took \(seconds) s")
            #expect(!connection.isBroken)
            #expect(try connection.command("PING") == .status("PONG"))
        }
    }

    @Test("a MULTI/ZADD/HSET/EXEC pipeline returns every reply and applies the data")
    func multiExecPipeline() throws {
        try withTestServer { server in
            let connection = try RedisConnection(url: server.url)
            let replies = try connection.pipeline([
                [b("MULTI")],
                [b("ZADD"), b("unacked_index"), b("1700000000.25"), b("tag-1")],
                [b("HSET"), b("unacked"), b("tag-1"), [0x7B, 0x00, 0x7D]],
                [b("EXEC")],
            ])
            #expect(replies == [.status("OK"), .status("QUEUED"), .status("QUEUED"), .array([.integer(1), .integer(1)])])
            let scored = try #require(try connection.command("ZRANGE", "unacked_index", "0", "-1", "WITHSCORES").scoredMembers)
            #expect(scored.count == 1)
            #expect(scored.first?.member == b("tag-1"))
            #expect(scored.first?.score == 1_700_000_000.25)
            let fields = try #require(try connection.command("HGETALL", "unacked").fieldValues)
            #expect(fields == ["tag-1": [0x7B, 0x00, 0x7D]])
            #expect(try connection.pipeline([]) == [])
        }
    }

    @Test("send writes commands that run at once; receiveUnread returns their replies in order")
    func sendThenReceive() throws {
        try withTestServer { server in
            let connection = try RedisConnection(url: server.url)
            let observer = try RedisConnection(url: server.url)
            try connection.send([[b("SET"), b("k"), b("1")], [b("INCR"), b("k")], [b("LPUSH"), b("k"), b("x")]])
            #expect(connection.unreadReplies == 3)
            // The server runs what was sent without the sender reading a reply.
            var seen: RedisReply = .null
            for _ in 0..<200 where seen != .string(b("2")) {
                seen = try observer.command("GET", "k")
                if seen != .string(b("2")) { usleep(5_000) }
            }
            #expect(seen == .string(b("2")))
            try connection.send([[b("GET"), b("k")]])
            let replies = try connection.receiveUnread()
            #expect(replies.count == 4)
            #expect(replies[0] == .status("OK"))
            #expect(replies[1] == .integer(2))
            #expect(replies[2].errorMessage?.hasPrefix("WRONGTYPE") == true)
            #expect(replies[3] == .string(b("2")))
            #expect(connection.unreadReplies == 0)
            #expect(try connection.receiveUnread() == [])
            #expect(try connection.command("PING") == .status("PONG"))
        }
    }

    @Test("HGETALL and ZRANGE WITHSCORES come back as flat arrays the helpers pair up")
    func collectionReplies() throws {
        try withTestServer { server in
            let connection = try RedisConnection(url: server.url)
            _ = try connection.command("HSET", "h", "a", "1", "b", "2")
            _ = try connection.command("ZADD", "z", "2", "two", "1", "one", "-inf", "low")
            let hash = try connection.command("HGETALL", "h")
            #expect(hash.arrayValue?.count == 4)
            #expect(hash.fieldValues == ["a": b("1"), "b": b("2")])
            let zset = try connection.command("ZRANGE", "z", "0", "-1", "WITHSCORES")
            #expect(zset == .array([.string(b("low")), .string(b("-inf")), .string(b("one")), .string(b("1")),
                                    .string(b("two")), .string(b("2"))]))
            let members = try #require(zset.scoredMembers)
            #expect(members.map(\.member) == [b("low"), b("one"), b("two")])
            #expect(members.map(\.score) == [-.infinity, 1, 2])
            #expect(try connection.command("HGETALL", "nothing") == .array([]))
        }
    }

    @Test("a server error reply is returned, not thrown, and the connection stays usable")
    func serverErrorReply() throws {
        try withTestServer { server in
            let connection = try RedisConnection(url: server.url)
            let reply = try connection.command("NOSUCHCMD")
            #expect(reply.errorMessage?.hasPrefix("ERR unknown command") == true)
            #expect(!connection.isBroken)
            #expect(try connection.command("PING") == .status("PONG"))
            // Inside a pipeline an error takes its own slot only.
            _ = try connection.command("SET", "s", "x")
            let replies = try connection.pipeline([[b("LPUSH"), b("s"), b("y")], [b("GET"), b("s")], []])
            #expect(replies[0].errorMessage?.hasPrefix("WRONGTYPE") == true)
            #expect(replies[1] == .string(b("x")))
            #expect(replies[2].isError)
            #expect(try connection.command([[UInt8]]()).isError)
            #expect(try connection.command("PING") == .status("PONG"))
        }
    }

    @Test("close() is idempotent and later commands throw connectionLost")
    func closeTwice() throws {
        try withTestServer { server in
            let connection = try RedisConnection(url: server.url)
            connection.close()
            connection.close()
            #expect(connection.isClosed)
            let error = expectRedisError { _ = try connection.command("PING") }
            #expect(error?.code == .connectionLost)
            #expect(error?.message.contains("was closed") == true)
        }
    }
}
