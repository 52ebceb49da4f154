import WorkerCore
import Yams

/// Turns the composed tree into a `Scenario`, recording problems in the reader.
struct ScenarioBuilder {
    let reader: Reader
    let sourcePath: String

    /// Task names as declared (nil entries were unnamed); `complete` is false when some task could not
    /// be named, so cross-reference checks are skipped rather than cascading.
    struct Names {
        var list: [String] = []
        var complete = true
    }

    func build(_ root: Node) -> Scenario? {
        guard case .mapping = root else {
            reader.fail(root, "", expected: "a mapping of scenario settings (name, duration, fleet, tasks, load, ...)"
                            + " at the top of the file", root)
            return nil
        }
        guard let top = reader.fields(root, "", allowed: ScenarioLoader.topLevelKeys) else { return nil }

        let name = reader.required(top, "name", what: "the scenario's name").flatMap { reader.string($0, "name") }
        let description = top["description"].flatMap { reader.string($0, "description", allowEmpty: true) } ?? ""
        var seed: UInt64 = 1
        if let node = top["seed"], let value = reader.int(node, "seed", in: 0...Int.max, expected: "a non-negative integer") {
            seed = UInt64(value)
        }
        let duration = reader.required(top, "duration", what: "how long load is generated, like 10m")
            .flatMap { reader.duration($0, "duration", positive: true) }
        var drain = TimeSpan(microseconds: 600_000_000)
        if let node = top["drain"], let value = reader.duration(node, "drain") { drain = value }

        var broker = BrokerSpec()
        if let node = top["broker"] { broker = readBroker(node) ?? broker }

        var fleet: [WorkerGroupSpec] = []
        var fleetComplete = false
        if let node = reader.required(top, "fleet", what: "a list of worker groups") {
            (fleet, fleetComplete) = readFleet(node)
        }

        var tasks: [TaskTypeSpec] = []
        var names = Names(complete: false)
        if let node = reader.required(top, "tasks", what: "a list of task types") {
            (tasks, names) = readTasks(node)
            if names.complete { checkPipelines(tasks: tasks, tasksNode: node) }
        }

        var routes: [RouteRule] = []
        if let node = top["routes"] { routes = readRoutes(node) }
        var unconsumed: [String] = []
        if let node = top["unconsumed_queues"] { unconsumed = readUnconsumedQueues(node) }
        if fleetComplete && names.complete {
            checkQueuesConsumed(top: top, fleet: fleet, tasks: tasks, routes: routes, excused: unconsumed)
        }

        var load = LoadSpec()
        if let node = reader.required(top, "load", what: "the load: arrival, phases, bursts and mix") {
            load = readLoad(node, duration: duration, tasks: names) ?? load
        }

        let workers = fleetComplete ? fleet : nil
        var schedule: ScenarioSchedule? = nil
        if let node = top["schedule"] {
            schedule = readScenarioSchedule(node)
            if let schedule, names.complete {
                checkSchedule(schedule, node: node, declared: names.list, fleet: workers, excused: unconsumed)
            }
        }

        var faults: [FaultSpec] = []
        if let node = top["faults"] {
            faults = readFaults(node, runLength: duration.map { $0 + drain }, workers: workers, tasks: names,
                                beats: schedule?.beats.count)
        }
        if let schedule, schedule.beats.isEmpty, !faults.contains(where: { if case .startBeat = $0.kind { true } else { false } }),
           let node = top["schedule"] {
            reader.fail(Reader.value(node, key: "beats") ?? node, "schedule.beats", expected: "at least one beat",
                        found: "0 beats and no start_beat fault", message: "schedule.beats is 0 and no start_beat fault starts one: nothing would send the schedule")
        }

        var controls: [ScheduledControl] = []
        if let node = top["controls"] {
            let queues = fleetComplete && names.complete
                ? Self.namedQueues(fleet: fleet, tasks: tasks, routes: routes, unconsumed: unconsumed) : nil
            controls = readControls(node, context: ControlContext(runLength: duration.map { $0 + drain }, workers: workers,
                                                                  tasks: names, queues: queues))
        }

        var assertions: [Assertion] = []
        if let node = top["assertions"] { assertions = readAssertions(node) }

        var invariants = InvariantSpec()
        if let node = top["invariants"] { invariants = readInvariants(node) ?? invariants }

        var host: HostSpec? = nil
        if let node = top["host"] { host = readHost(node) }

        guard let name, let duration else { return nil }
        var scenario = Scenario(name: name, description: description, seed: seed, duration: duration, drain: drain,
                                broker: broker, fleet: fleet, tasks: tasks, routes: routes, load: load, faults: faults,
                                assertions: assertions, sourcePath: sourcePath)
        scenario.invariants = invariants
        scenario.host = host
        scenario.controls = controls
        scenario.schedule = schedule
        return scenario
    }
}
