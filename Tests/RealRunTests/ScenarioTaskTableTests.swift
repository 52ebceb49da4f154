import CeleryWire
import Foundation
@testable import LiveWorker
import RealRun
import Scenarios
import Testing
import WorkerCore
import Workload

/// The task table a real run's workers register the scenario's task names from: options applied as
/// the simulator applies them, time-scaled as the run runs, and read back exactly.
@Suite("scenario task table")
struct ScenarioTaskTableTests {
    static let yaml = """
    name: table
    duration: 10s
    fleet:
      - name: web
        acks_late: true
        time_limit: 30s
        soft_time_limit: 20s
      - name: batch
        queues: [batch]
        reject_on_worker_lost: true
    tasks:
      - name: payments.charge
        failure: {probability: 0.3, error: ConnectionError}
        rate_limit: 7/m
        time_limit: 2s
        acks_late: false
        retry:
          max_retries: 5
          autoretry_for: [ConnectionError]
          backoff: true
          backoff_max: 10m
          jitter: true
      - name: payments.receipt
        ignore_result: true
    load:
      phases:
        - {duration: 10s, rate: 5/s}
      mix: {payments.charge: 1, payments.receipt: 1}
    """

    static func scenario() throws -> Scenario { try ScenarioLoader.parse(yaml: yaml, sourcePath: "table.yaml") }

    @Test("each task's options are its own over its group's defaults, as the simulator applies them")
    func optionsOverGroupDefaults() throws {
        let scenario = try Self.scenario()
        let web = ScenarioTaskTable(scenario: scenario, group: scenario.fleet[0])
        #expect(web.group == "web")
        #expect(web.tasks.map(\.name) == ["payments.charge", "payments.receipt"])
        for (index, task) in web.tasks.enumerated() {
            #expect(task.options == scenario.tasks[index].options.applied(to: scenario.fleet[0].taskDefaults))
        }
        let charge = web.tasks[0].options
        #expect(charge.acksLate == false)                 // the task's own
        #expect(charge.timeLimit == .seconds(2))          // the task's own
        #expect(charge.softTimeLimit == .seconds(20))     // the group's
        #expect(charge.rateLimit?.text == "7/m")
        #expect(charge.retry.maxRetries == 5 && charge.retry.backoffFactor == 1 && charge.retry.autoretryFor == ["ConnectionError"])
        let receipt = web.tasks[1].options
        #expect(receipt.acksLate == true && receipt.timeLimit == .seconds(30) && receipt.ignoreResult)
        #expect(receipt.retry == RetryPolicy())           // Celery's defaults: no autoretry, max_retries 3
        let batch = ScenarioTaskTable(scenario: scenario, group: scenario.fleet[1])
        #expect(batch.tasks[1].options.rejectOnWorkerLost && !batch.tasks[1].options.acksLate)
    }

    @Test("the JSON form reads back the same options, time-scaled limits and retry delays included")
    func jsonRoundTrip() throws {
        let scaled = try Self.scenario().timeScaled(by: 0.1)
        let table = ScenarioTaskTable(scenario: scaled, group: scaled.fleet[0])
        let charge = table.tasks[0].options
        #expect(charge.timeLimit == .milliseconds(200))
        #expect(charge.retry.backoffMax == .seconds(60))
        // 7/m is one start per 8.571429 s; a tenth of that is 857 143 µs, said per second.
        #expect(charge.rateLimit?.interval == .microseconds(857_143))
        let text = table.json.serializedString()
        let read = try ScenarioTaskTable(json: JSONValue.parse(text))
        #expect(read == table)
        var unlimited = table
        unlimited.tasks[1].options.retry.maxRetries = nil
        unlimited.tasks[1].options.retry.defaultRetryDelay = .milliseconds(18_500)
        #expect(try ScenarioTaskTable(json: JSONValue.parse(unlimited.json.serializedString())) == unlimited)
        // The names Celery's @app.task takes, for interop/lovage_synthetic.py.
        let first = try #require(JSONValue.parse(text).objectValue?["tasks"]?.arrayValue?.first?.objectValue)
        #expect(first["retry_backoff"] == .int(1) && first["retry_backoff_max"] == .double(60) && first["max_retries"] == .int(5))
        #expect(first["rate_limit"]?.stringValue.flatMap(RateLimit.parse)?.interval == .microseconds(857_143))
        #expect(first["time_limit"] == .double(0.2))
    }

    @Test("a malformed table names the field")
    func badTable() throws {
        let bad = #"{"group": "web", "tasks": [{"name": "a", "max_retries": -1}]}"#
        #expect(throws: ScenarioTaskTable.TableError.self) { try ScenarioTaskTable(json: JSONValue.parse(bad)) }
        do {
            _ = try ScenarioTaskTable(json: JSONValue.parse(#"{"group": "web", "tasks": [{"name": "a", "rate_limit": "fast"}]}"#))
            Issue.record("a rate limit that is no rate was accepted")
        } catch {
            #expect("\(error)".contains("tasks[0].rate_limit"))
        }
    }

    @Test("--tasks-from reads a scenario (naming the group when there are several) or a table")
    func loadingForAWorker() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("task-table-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let yamlPath = directory.appendingPathComponent("scenario.yaml").path
        try Self.yaml.write(toFile: yamlPath, atomically: true, encoding: .utf8)
        do {
            _ = try ScenarioTaskRegistration.table(from: yamlPath, group: nil)
            Issue.record("a two-group scenario was read without a group")
        } catch {
            #expect("\(error)".contains("--tasks-group"))
        }
        do {
            _ = try ScenarioTaskRegistration.table(from: yamlPath, group: "webb")
            Issue.record("an unknown group was accepted")
        } catch {
            #expect("\(error)".contains("no fleet group \"webb\"") && "\(error)".contains("web"))
        }
        let batch = try ScenarioTaskRegistration.table(from: yamlPath, group: "batch")
        let scenario = try Self.scenario()
        #expect(batch == ScenarioTaskTable(scenario: scenario, group: scenario.fleet[1]))
        let jsonPath = directory.appendingPathComponent("table.json").path
        try Data(batch.json.serialized()).write(to: URL(fileURLWithPath: jsonPath))
        #expect(try ScenarioTaskRegistration.table(from: jsonPath, group: nil) == batch)
        #expect(throws: ScenarioTaskTable.TableError.self) {
            try ScenarioTaskRegistration.table(from: directory.appendingPathComponent("missing.yaml").path, group: nil)
        }
    }

    @Test("registered names carry their options, and their body only fails: the worker decides the retry")
    func registration() throws {
        let scenario = try Self.scenario()
        let table = ScenarioTaskTable(scenario: scenario, group: scenario.fleet[0])
        var registry = TaskRegistry()
        ScenarioTaskRegistration.register(table, into: &registry)
        #expect(registry.names == ["payments.charge", "payments.receipt"])
        let entry = try #require(registry.entry(named: "payments.charge"))
        #expect(entry.options == table.tasks[0].options)
        let context = TaskContext(taskID: "t", taskName: "payments.charge", retries: 0, args: [],
                                  kwargs: ["fail_probability": .double(1), "error": .string("ConnectionError")],
                                  softTimeLimitExceeded: { false }, updateState: { _, _ in })
        guard case .failure(let error) = entry.body(context) else {
            Issue.record("a synthetic failure must be a failure, not a retry the body decided")
            return
        }
        #expect(error.type == "ConnectionError")
        // A prefork child learns the names from its parent's environment.
        var child = TaskRegistry()
        ScenarioTaskRegistration.registerForChild(
            from: [ScenarioTaskRegistration.childEnvironmentKey: ScenarioTaskRegistration.childEnvironmentValue(table)], into: &child)
        #expect(child.names == ["payments.charge", "payments.receipt"])
    }
}
