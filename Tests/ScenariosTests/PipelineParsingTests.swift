import Testing
@testable import Scenarios

/// A task's `then`, `fan_out`, `join` and `on_failure` are read into `TaskTypeSpec.followers`;
/// unknown names, cycles and a join without fan_out are refused before anything runs.
@Suite("Scenario pipelines")
struct PipelineParsingTests {
    static func yaml(_ tasks: String) -> String {
        """
        name: p
        duration: 1m
        fleet:
          - name: worker
        tasks:
        \(tasks)
        load:
          phases:
            - {duration: 1m, rate: 1/s}
          mix:
            tasks.parse: 1
        """
    }

    static func error(_ tasks: String) throws -> ScenarioError {
        let error = #expect(throws: ScenarioError.self) {
            try ScenarioLoader.parse(yaml: yaml(tasks), sourcePath: "p.yaml")
        }
        return try #require(error)
    }

    @Test("chain, fan-out with its count distribution, join and errbacks are read")
    func parses() throws {
        let scenario = try ScenarioLoader.parse(yaml: Self.yaml("""
          - {name: tasks.parse, then: [tasks.split], on_failure: [tasks.notify]}
          - name: tasks.split
            fan_out: {task: tasks.embed, count: {lognormal: {median: 20, p99: 200}}}
            join: tasks.index
          - {name: tasks.embed}
          - {name: tasks.index}
          - {name: tasks.notify}
        """), sourcePath: "p.yaml")
        #expect(scenario.tasks[0].followers.then == ["tasks.split"])
        #expect(scenario.tasks[0].followers.onFailure == ["tasks.notify"])
        #expect(scenario.tasks[1].followers.fanOut == FanOut(task: "tasks.embed",
                                                             count: .logNormal(median: .seconds(20), p99: .seconds(200))))
        #expect(scenario.tasks[1].followers.join == "tasks.index")
        #expect(scenario.tasks[2].followers.isEmpty)
    }

    @Test("validate lists each pipeline a publish starts: its shape, its groups' sizes and errbacks; a step that only follows another is not one of its own")
    func listing() throws {
        let scenario = try ScenarioLoader.parse(yaml: Self.yaml("""
          - {name: tasks.parse, then: [tasks.split], on_failure: [tasks.notify]}
          - name: tasks.split
            fan_out: {task: tasks.embed, count: {uniform: {min: 2, max: 9}}}
            join: tasks.index
          - {name: tasks.embed}
          - {name: tasks.index}
          - {name: tasks.notify}
          - {name: tasks.other, then: [tasks.index]}
        """), sourcePath: "p.yaml")
        #expect(PipelineListing.lines(scenario) == [
            "  pipeline tasks.parse: tasks.parse → tasks.split → chord(tasks.embed × n) → tasks.index",
            "    chord of tasks.embed: members uniform 2–9",
            "    on failure of tasks.parse: tasks.notify",
            "  pipeline tasks.other: tasks.other → tasks.index",
        ])
    }

    @Test("an unknown follower is refused at its task's line with a suggestion")
    func unknownName() throws {
        let found = try Self.error("""
          - {name: tasks.parse, then: [tasks.splt]}
          - {name: tasks.split}
        """)
        #expect(found.line == 6)
        #expect(found.message.contains("unknown task \"tasks.splt\""))
        #expect(found.message.contains("did you mean \"tasks.split\""))
    }

    @Test("a task that eventually follows itself is a cycle")
    func cycle() throws {
        let found = try Self.error("""
          - {name: tasks.parse, then: [tasks.split]}
          - {name: tasks.split, on_failure: [tasks.parse]}
        """)
        #expect(found.message.contains("tasks.parse -> tasks.split -> tasks.parse"))
    }

    @Test("join without fan_out is refused at the join")
    func joinWithoutFanOut() throws {
        let found = try Self.error("""
          - {name: tasks.parse, join: tasks.split}
          - {name: tasks.split}
        """)
        #expect(found.keyPath == "tasks[0].join")
        #expect(found.message.contains("join without fan_out"))
    }
}
