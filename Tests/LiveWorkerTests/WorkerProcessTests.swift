import Foundation
import RedisClient
import RedisTestSupport
import Testing

/// `lovage worker` as a process: start-up, a broker outage mid-run, shutdown on SIGTERM.
@Suite("lovage worker process", .serialized)
struct WorkerProcessTests {
    func logFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lovage-\(name)-\(getpid()).log")
    }

    @Test("runs a task, survives Redis going away and coming back, and stops on SIGTERM")
    func outageAndShutdown() throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let log = logFile("outage")
        defer { try? FileManager.default.removeItem(at: log) }
        let worker = try LovageProcess.start(["worker", "-b", server.url.absoluteString, "-c", "2", "--acks-late"], log: log)
        defer { if worker.isRunning { worker.terminate() } }
        #expect(LovageProcess.waitFor("ready.", in: log, timeout: 20))

        let before = try LovageProcess.run(["enqueue", "lovage.add", "--args", "[1, 2]", "--wait", "--timeout", "10",
                                            "--broker", server.url.absoluteString])
        #expect(before.status == 0, "\(before.standardError)")
        #expect(before.standardOutput.contains("\"result\": 3"))

        try server.restart()
        let after = try LovageProcess.run(["enqueue", "lovage.add", "--args", "[5, 6]", "--wait", "--timeout", "20",
                                           "--broker", server.url.absoluteString])
        #expect(after.status == 0, "\(after.standardError)\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        #expect(after.standardOutput.contains("\"result\": 11"))

        worker.terminate()  // SIGTERM: warm shutdown
        let deadline = Date().addingTimeInterval(10)
        while worker.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!worker.isRunning)
        #expect(worker.terminationStatus == 0)
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(text.contains("warm shutdown"))
        #expect(text.contains("connection lost"), "the outage is reported")
    }

    @Test("an unreachable broker is reported clearly after the wait, with a non-zero exit")
    func unreachable() throws {
        let outcome = try LovageProcess.run(["worker", "-b", "redis://127.0.0.1:1/0", "--wait-for-broker", "1"])
        #expect(outcome.status == 1)
        #expect(outcome.standardError.contains("cannot reach the broker"))
        #expect(outcome.standardError.contains("127.0.0.1:1"))
    }

    @Test("bad flags are refused before connecting", arguments: [
        (["-P", "fork-bomb"], "unknown pool"),
        (["--autoscale", "2,8"], "--autoscale must be MAX,MIN"),
        (["-c", "0"], "--concurrency must be at least 1"),
        (["-b", "http://x"], "broker URL"),
    ])
    func badFlags(arguments: [String], phrase: String) throws {
        let outcome = try LovageProcess.run(["worker"] + arguments)
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains(phrase), "\(outcome.standardError)")
    }
}
