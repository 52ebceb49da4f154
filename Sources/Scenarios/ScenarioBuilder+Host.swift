import WorkerCore
import Yams

/// The `host:` section: the CPUs a whole run shares and the CPU time of one task besides its body.
extension ScenarioBuilder {
    func readHost(_ node: Node) -> HostSpec? {
        guard let fields = reader.fields(node, "host", allowed: ["cores", "cpu_per_task"]),
              let coresNode = reader.required(fields, "cores", what: "how many CPUs the fleet, Redis and the load share"),
              let cpuNode = reader.required(fields, "cpu_per_task", what: "the CPU time of one task besides its body"),
              let cores = reader.int(coresNode, fields.path("cores"), in: 1...4096, expected: "a number of CPUs from 1 to 4096"),
              let cpu = reader.duration(cpuNode, fields.path("cpu_per_task"), positive: true)
        else { return nil }
        return HostSpec(cores: cores, cpuPerTask: cpu)
    }
}
