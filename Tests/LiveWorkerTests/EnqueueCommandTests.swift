import CeleryWire
import Foundation
import LiveWorker
import RedisClient
import PrivateRedis
import Testing
import WorkerCore

/// `lovage enqueue` publishes what a Celery client would, to a real redis-server.
@Suite("lovage enqueue", .serialized)
struct EnqueueCommandTests {
    @Test("publishes a Celery protocol v2 message to the queue's priority list, with the binding a client declares")
    func publishes() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let outcome = try LovageProcess.run(["enqueue", "lovage.add", "--args", "[2, 3]", "--kwargs", "{\"z\": 1}",
                                             "--queue", "dify", "--priority", "5", "--countdown", "30",
                                             "--expires", "60", "--broker", server.url.description])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let taskID = outcome.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(taskID.count == 36)

        let connection = try RedisConnection(url: server.url)
        let raw = try #require(try connection.command("RPOP", "dify\u{06}\u{16}3").bytes)
        let message = try TaskMessage.decode(raw)
        #expect(message.task == "lovage.add")
        #expect(message.id == taskID)
        #expect(message.args == [.int(2), .int(3)])
        #expect(message.kwargs["z"] == .int(1))
        #expect(message.priority == 5)
        #expect(message.deliveryInfo?.routingKey == "dify")
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let eta = try #require(try message.etaMicros)
        #expect(abs(eta - (now + 30_000_000)) < 5_000_000)
        #expect(try message.expiresMicros != nil)
        let binding = try connection.command("SMEMBERS", "_kombu.binding.dify")
        #expect(binding.arrayValue?.compactMap(\.stringValue) == ["dify\u{06}\u{16}\u{06}\u{16}dify"])
    }

    @Test("--wait prints the stored result and exits 0 on SUCCESS, 1 on FAILURE")
    func waits() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let backend = try RedisResultBackend(url: server.url)
        for (state, expected) in [("SUCCESS", Int32(0)), ("FAILURE", Int32(1))] {
            let id = "wait-" + state.lowercased()
            try backend.store(state == "SUCCESS"
                              ? ResultDocument.success(taskID: id, result: .int(5), dateDone: 0)
                              : ResultDocument.failure(taskID: id, exception: ExceptionInfo(excType: "KeyError", excMessage: [.string("k")], excModule: "builtins"),
                                                       traceback: nil, dateDone: 0))
            let outcome = try LovageProcess.run(["enqueue", "lovage.add", "--id", id, "--wait", "--timeout", "5",
                                                 "--broker", server.url.description])
            #expect(outcome.status == expected, "\(outcome.standardError)")
            #expect(outcome.standardOutput.contains("\"status\": \"\(state)\""))
        }
    }

    @Test("bad arguments are refused with a clear message before anything is published", arguments: [
        (["--args", "{\"a\": 1}"], "--args must be a JSON array"),
        (["--kwargs", "[1]"], "--kwargs must be a JSON object"),
        (["--args", "[1,"], "--args"),
        (["--priority", "12"], "--priority must be 0-9"),
        (["--eta", "tomorrow"], "--eta"),
        (["--broker", "rediss://127.0.0.1:1/0"], "TLS"),
    ])
    func refusesBadInput(extra: [String], phrase: String) throws {
        let outcome = try LovageProcess.run(["enqueue", "lovage.add"] + extra)
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains(phrase), "\(outcome.standardError)")
    }

    @Test("an unreachable broker is reported, not a crash")
    func unreachable() throws {
        let outcome = try LovageProcess.run(["enqueue", "lovage.add", "--broker", "redis://127.0.0.1:1/0"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("cannot publish"))
        #expect(outcome.standardError.contains("127.0.0.1:1"))
    }
}
