import Testing
@testable import Scenarios

/// A task type or route publishing to a queue no worker group consumes is refused at load, unless
/// the scenario lists the queue in `unconsumed_queues`.
@Suite("Unconsumed queues")
struct UnconsumedQueueTests {
    static func yaml(queue: String, extra: String = "", route: String? = nil) -> String {
        """
        name: q
        duration: 1m
        \(extra)
        fleet:
          - name: w
            queues: [dify, celery]
        tasks:
          - name: upload
            queue: \(queue)
          - name: other
        \(route.map { "routes:\n  \"oth*\": \($0)" } ?? "")
        load:
          phases:
            - {duration: 1m, rate: 5/s}
          mix:
            upload: 1
            other: 1
        """
    }

    @Test("a task's misspelt queue: file, line, task, queue, the consumed queues and a suggestion")
    func taskQueue() throws {
        let error = #expect(throws: ScenarioError.self) {
            try ScenarioLoader.parse(yaml: Self.yaml(queue: "dfy"), sourcePath: "dify.yaml")
        }
        let found = try #require(error)
        #expect(found.file == "dify.yaml")
        #expect(found.line == 9)
        #expect(found.keyPath == "tasks[0].queue")
        #expect(found.message.contains("task \"upload\""))
        #expect(found.message.contains("queue \"dfy\", which no worker group consumes"))
        #expect(found.message.contains("(consumed: \"dify\", \"celery\")"))
        #expect(found.message.contains("Did you mean \"dify\"?"))
        #expect(found.message.contains("unconsumed_queues"))
        #expect(found.headline.hasPrefix("dify.yaml:9:"))
    }

    @Test("a route to an unconsumed queue: the route and the task it routes are both named")
    func routeQueue() throws {
        let error = #expect(throws: ScenarioError.self) {
            try ScenarioLoader.parse(yaml: Self.yaml(queue: "dify", route: "reports"), sourcePath: "r.yaml")
        }
        let found = try #require(error)
        let all = found.all
        #expect(all.contains { $0.keyPath == "tasks[1].name" && $0.message.contains("task \"other\" is published by its route to queue \"reports\"") })
        #expect(all.contains { $0.keyPath == "routes[\"oth*\"]" && $0.message.contains("route \"oth*\" sends tasks to queue \"reports\"") })
        // Nothing close to "reports": no suggestion.
        #expect(!found.message.contains("Did you mean"))
    }

    @Test("unconsumed_queues excuses exactly the queues it names")
    func exception() throws {
        let scenario = try ScenarioLoader.parse(yaml: Self.yaml(queue: "dfy", extra: "unconsumed_queues: [dfy]"), sourcePath: "ok.yaml")
        #expect(scenario.tasks.first?.queue == "dfy")
        // Naming another queue does not excuse the typo.
        #expect(throws: ScenarioError.self) {
            try ScenarioLoader.parse(yaml: Self.yaml(queue: "dfy", extra: "unconsumed_queues: [dify2]"), sourcePath: "x.yaml")
        }
    }

    @Test("a group that a fleet scaler may take to zero workers still counts as consuming its queues")
    func scaledGroup() throws {
        let text = """
        name: s
        duration: 1m
        fleet:
          - name: w
            count: 1
            queues: [jobs]
            scaler: {policy: queue_length, list_length: 5, min_replicas: 0, max_replicas: 3, polling_interval: 30s}
        tasks:
          - name: a
            queue: jobs
        load:
          phases:
            - {duration: 1m, rate: 5/s}
        """
        _ = try ScenarioLoader.parse(yaml: text, sourcePath: "s.yaml")
    }

    @Test("suggestions: close names only", arguments: [("dfy", "dify"), ("celry", "celery"), ("reports", nil), ("x", nil)] as [(String, String?)])
    func suggestion(name: String, expected: String?) {
        #expect(NearestName.suggestion(for: name, among: ["dify", "celery"]) == expected)
    }
}
