import Foundation
import PrivateRedis
import Testing

/// `lovage worker --tasks-from`: a scenario's task names run as synthetic bodies whose failures the
/// worker's core retries by the scenario's options; a bad file is refused before connecting.
@Suite("lovage worker --tasks-from", .serialized)
struct TasksFromTests {
    static let scenario = """
    name: tasks-from
    duration: 10s
    fleet:
      - name: worker
    tasks:
      - name: payments.charge
        failure: {probability: 0.3, error: ConnectionError}
        retry:
          max_retries: 2
          autoretry_for: [ConnectionError]
          default_retry_delay: 100ms
    load:
      phases:
        - {duration: 10s, rate: 5/s}
    """

    func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lovage-tasks-from-\(getpid())-\(name)")
    }

    @Test("a bad --tasks-from is refused with the reason before connecting, exit 2", arguments: [
        (["--tasks-from", "no/such/scenario.yaml"], "--tasks-from"),
        (["--tasks-from", "no/such/table.json"], "cannot read the task table"),
        (["--tasks-group", "worker"], "--tasks-group needs --tasks-from"),
    ])
    func badFile(arguments: [String], phrase: String) throws {
        let outcome = try LovageProcess.run(["worker", "-b", "redis://127.0.0.1:1/0", "--wait-for-broker", "0"] + arguments)
        #expect(outcome.status == 2, "\(outcome.standardError)")
        #expect(outcome.standardError.contains(phrase), "\(outcome.standardError)")
        #expect(!outcome.standardError.contains("cannot reach the broker"))
    }

    @Test("a scenario task that always fails is retried by the core exactly max_retries times, in prefork children")
    func coreRetries() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let file = temporary("scenario.yaml")
        try Self.scenario.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let log = temporary("worker.log")
        defer { try? FileManager.default.removeItem(at: log) }
        let worker = try LovageProcess.start(["worker", "-b", server.url.absoluteString, "-c", "1", "-P", "prefork",
                                              "--tasks-from", file.path], log: log)
        defer { if worker.isRunning { worker.terminate(); worker.waitUntilExit() } }
        #expect(LovageProcess.waitFor("ready.", in: log, timeout: 20))
        #expect(try String(contentsOf: log, encoding: .utf8).contains(". payments.charge"), "the banner lists the scenario's task")

        let kwargs = #"{"fail_probability": 1.0, "error": "ConnectionError", "duration_ms": 1}"#
        let charged = try LovageProcess.run(["enqueue", "payments.charge", "--kwargs", kwargs, "--id", "charge-1",
                                             "--wait", "--timeout", "20", "--broker", server.url.absoluteString])
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(charged.status == 1, "FAILURE after its retries: \(charged.standardOutput)\(charged.standardError)\n\(text)")
        #expect(charged.standardOutput.contains("ConnectionError"), "\(charged.standardOutput)")
        #expect(text.components(separatedBy: "task-retried payments.charge[charge-1]").count - 1 == 2, "\(text)")

        // The builtin keeps the worker's defaults: no autoretry, the failure is final at once.
        let plain = try LovageProcess.run(["enqueue", "lovage.synthetic", "--kwargs", kwargs, "--id", "plain-1",
                                           "--wait", "--timeout", "20", "--broker", server.url.absoluteString])
        #expect(plain.status == 1, "\(plain.standardOutput)\(plain.standardError)")
        let after = try String(contentsOf: log, encoding: .utf8)
        #expect(!after.contains("task-retried lovage.synthetic[plain-1]"), "\(after)")
    }
}
