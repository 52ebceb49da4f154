import Testing
import WorkerCore
@testable import Scenarios

/// `controls:` is read into `Scenario.controls` with every argument checked before anything runs;
/// each bad entry is reported at its own line and key path.
@Suite("Scenario controls")
struct ControlsParsingTests {
    /// A two-worker scenario (`worker-1`, `worker-2`) with tasks app.slow and app.export; the
    /// controls section starts on line 18.
    static func yaml(_ controls: String) -> String {
        """
        name: c
        duration: 10m
        drain: 2m
        fleet:
          - name: worker
            count: 2
            queues: [celery, exports]
        tasks:
          - name: app.slow
          - name: app.export
            queue: exports
        load:
          phases:
            - {duration: 10m, rate: 5/s}
          mix:
            app.slow: 1
            app.export: 1
        controls:
        \(controls)
        """
    }

    static func parse(_ controls: String) throws -> Scenario {
        try ScenarioLoader.parse(yaml: yaml(controls), sourcePath: "c.yaml")
    }

    static func error(_ controls: String) throws -> ScenarioError {
        let error = #expect(throws: ScenarioError.self) { try parse(controls) }
        return try #require(error)
    }

    @Test("every command is read, in file order, with its time, destination and arguments")
    func parsesAll() throws {
        let scenario = try Self.parse("""
          - {at: 5m, control: {command: pool_grow, n: 4}, destination: worker-1}
          - {at: 6m, control: {command: rate_limit, task: app.slow, rate: 10/s}}
          - {at: 7m, control: {command: revoke, task_index: 120}}
          - {at: 8m, control: {command: revoke, queued: app.export, terminate: true}, destination: [worker-2, worker-1]}
          - {at: 9m, control: {command: time_limit, task: app.slow, soft: 30s, hard: 1m}}
          - {at: 9m, control: {command: autoscale, max: 8, min: 2}}
          - {at: 9m, control: {command: add_consumer, queue: exports}}
          - {at: 9m, control: {command: cancel_consumer, queue: celery}}
          - {at: 10m, control: {command: pool_shrink}}
          - {at: 10m, control: {command: disable_events}}
          - {at: 11m, control: {command: enable_events}}
          - {at: 12m, control: {command: shutdown}}
        """)
        let controls = scenario.controls
        #expect(controls.count == 12)
        #expect(controls[0] == ScheduledControl(at: .seconds(300 as Int64), destination: ["worker-1"],
                                                 command: .control(.poolGrow(4)), line: 19))
        #expect(controls[1].command == .control(.rateLimit(taskName: "app.slow", rate: "10/s")))
        #expect(controls[1].destination == nil)
        #expect(controls[2].command == .revokeArrival(index: 120, terminate: false))
        #expect(controls[3].command == .revokeQueued(taskName: "app.export", terminate: true))
        #expect(controls[3].destination == ["worker-2", "worker-1"])
        #expect(controls[4].command == .control(.timeLimit(taskName: "app.slow", soft: 30, hard: 60)))
        #expect(controls[5].command == .control(.autoscale(max: 8, min: 2)))
        #expect(controls[6].command == .control(.addConsumer(queue: "exports")))
        #expect(controls[7].command == .control(.cancelConsumer(queue: "celery")))
        #expect(controls[8].command == .control(.poolShrink(1)))
        #expect(controls[9].command == .control(.disableEvents))
        #expect(controls[10].command == .control(.enableEvents))
        #expect(controls[11].command == .control(.shutdown))
        #expect(controls[11].at == .seconds(720 as Int64))
        #expect(controls[0].description == "pool_grow n=4 -> worker-1")
        #expect(controls[3].description == "revoke queued=app.export terminate=true -> worker-2, worker-1")
        #expect(controls[1].addresses("worker-2") && !controls[0].addresses("worker-2"))
    }

    @Test("an unknown command is refused at its line with the list of commands and a suggestion")
    func unknownCommand() throws {
        let found = try Self.error("  - {at: 5m, control: {command: pool_grwo, n: 4}}")
        #expect(found.line == 19)
        #expect(found.keyPath == "controls[0].control.command")
        #expect(found.message.contains("pool_grow"))
        #expect(found.message.contains("\"pool_grwo\""))
    }

    @Test("missing and ill-typed arguments, and arguments a command does not take")
    func badArguments() throws {
        let found = try Self.error("""
          - {at: 5m, control: {command: pool_grow, n: lots}}
          - {at: 5m, control: {command: rate_limit, task: app.slow}}
          - {at: 5m, control: {command: rate_limit, task: app.slow, rate: fast}}
          - {at: 5m, control: {command: autoscale, min: 2}}
          - {at: 5m, control: {command: shutdown, n: 1}}
          - {at: 5m, control: {command: revoke}}
          - {at: 5m, control: {command: revoke, task_index: 1, queued: app.slow}}
          - {at: 5m, control: {command: revoke, task_index: -1}}
          - {at: 5m, control: {command: time_limit, task: app.slow}}
          - {at: 5m, control: {command: time_limit, task: app.slow, soft: 2m, hard: 1m}}
          - {at: 5m, control: {command: autoscale, max: 2, min: 4}}
          - {at: 5m, control: {command: revoke, task_index: 3, terminate: yes please}}
          - {control: {command: shutdown}}
        """)
        let all = found.all
        #expect(all.count == 13)
        #expect(all[0].keyPath == "controls[0].control.n" && all[0].line == 19 && all[0].message.contains("\"lots\""))
        #expect(all[1].keyPath == "controls[1].control.rate" && all[1].message.contains("missing required key \"rate\""))
        #expect(all[2].keyPath == "controls[2].control.rate" && all[2].message.contains("\"fast\""))
        #expect(all[3].keyPath == "controls[3].control.max")
        #expect(all[4].keyPath == "controls[4].control.n" && all[4].message.contains("shutdown takes no arguments"))
        #expect(all[5].message.contains("revoke needs task_index"))
        #expect(all[6].message.contains("not both"))
        #expect(all[7].keyPath == "controls[7].control.task_index")
        #expect(all[8].message.contains("time_limit needs a soft or a hard limit"))
        #expect(all[9].keyPath == "controls[9].control.soft")
        #expect(all[10].keyPath == "controls[10].control.min")
        #expect(all[11].keyPath == "controls[11].control.terminate")
        #expect(all[12].keyPath == "controls[12].at" && all[12].line == 31)
    }

    @Test("unknown tasks, queues and workers are refused with what the scenario declares")
    func unknownNames() throws {
        let found = try Self.error("""
          - {at: 5m, control: {command: rate_limit, task: app.slwo, rate: 1/s}}
          - {at: 5m, control: {command: revoke, queued: app.nothing}}
          - {at: 5m, control: {command: add_consumer, queue: exprts}}
          - {at: 5m, control: {command: pool_grow, n: 1}, destination: worker-3}
          - {at: 5m, control: {command: pool_grow, n: 1}, destination: [worker-1, celery@host]}
          - {at: 5m, control: {command: pool_grow, n: 1}, destination: []}
        """)
        let all = found.all
        #expect(all.count == 6)
        #expect(all[0].keyPath == "controls[0].control.task" && all[0].message.contains("unknown task \"app.slwo\"")
                    && all[0].message.contains("app.slow"))
        #expect(all[1].keyPath == "controls[1].control.queued" && all[1].message.contains("app.nothing"))
        #expect(all[2].keyPath == "controls[2].control.queue" && all[2].message.contains("unknown queue \"exprts\"")
                    && all[2].message.contains("\"exports\""))
        #expect(all[3].keyPath == "controls[3].destination" && all[3].message.contains("worker-1..worker-2"))
        #expect(all[4].keyPath == "controls[4].destination[1]" && all[4].message.contains("celery@host"))
        #expect(all[5].keyPath == "controls[5].destination")
    }

    @Test("`at` past the run (duration + drain) and `at` without a unit that does not parse")
    func timing() throws {
        let found = try Self.error("""
          - {at: 13m, control: {command: shutdown}}
          - {at: soon, control: {command: shutdown}}
        """)
        let all = found.all
        #expect(all.count == 2)
        #expect(all[0].keyPath == "controls[0].at" && all[0].message.contains("duration + drain = 12m"))
        #expect(all[1].keyPath == "controls[1].at" && all[1].message.contains("\"soon\""))
        // The last instant of the drain is still in the run.
        #expect(try Self.parse("  - {at: 12m, control: {command: shutdown}}").controls.count == 1)
    }
}
