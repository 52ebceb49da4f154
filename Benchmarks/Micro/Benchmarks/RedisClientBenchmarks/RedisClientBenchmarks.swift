import Benchmark
import MallocGate
import RedisClient

/// Round trips through the Redis client against a private, loopback-only `redis-server` that the
/// benchmark starts in its setup and stops in its teardown: the cost, in allocations, of formatting
/// commands for hiredis, writing them, reading the replies and converting them to `RedisReply`.
/// Every message the live worker takes, acknowledges or answers pays this.
///
/// Commands are built once in the fixture, so the count is the client's own. The server is another
/// process: its allocations are not counted.
let benchmarks: @Sendable () -> Void = {
    let fixture = PrivateRedisFixture()

    // The smallest round trip: one command, one status reply.
    Benchmark("RedisConnection.ping", configuration: MallocGate.configuration) { benchmark in
        let connection = fixture.connection!
        for _ in benchmark.scaledIterations {
            blackHole(try connection.command(fixture.ping))
        }
    } setup: {
        try fixture.start()
    } teardown: {
        fixture.stop()
    }

    // Two commands in one write, as the worker stores results: SET a Celery result document, GET it
    // back, one round trip for both replies.
    Benchmark("RedisConnection.setGetPipeline", configuration: MallocGate.configuration) { benchmark in
        let connection = fixture.connection!
        for _ in benchmark.scaledIterations {
            blackHole(try connection.pipeline(fixture.setThenGet))
        }
    } setup: {
        try fixture.start()
        let replies = try fixture.connection!.pipeline(fixture.setThenGet)
        guard replies == [.status("OK"), .string(fixture.resultDocument)] else {
            throw FixtureError("SET then GET answered \(replies), not OK and the document")
        }
    } teardown: {
        fixture.stop()
    }
}
