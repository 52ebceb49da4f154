import WorkerCore
import Yams

/// The `host:` section: the CPUs a whole run shares, the CPU time of one task besides its body,
/// and what writing the memory tasks keep costs.
extension ScenarioBuilder {
    func readHost(_ node: Node) -> HostSpec? {
        guard let fields = reader.fields(node, "host", allowed: ["cores", "cpu_per_task", "memory_write"]),
              let coresNode = reader.required(fields, "cores", what: "how many CPUs the fleet, Redis and the load share"),
              let cpuNode = reader.required(fields, "cpu_per_task", what: "the CPU time of one task besides its body"),
              let cores = reader.int(coresNode, fields.path("cores"), in: 1...4096, expected: "a number of CPUs from 1 to 4096"),
              let cpu = reader.duration(cpuNode, fields.path("cpu_per_task"), positive: true, subSecondUnit: "us")
        else { return nil }
        var host = HostSpec(cores: cores, cpuPerTask: cpu)
        if let node = fields["memory_write"] {
            guard let cost = readMemoryWrite(node, fields.path("memory_write")) else { return nil }
            host.memoryWrite = cost
        }
        return host
    }

    /// `memory_write: {per_mib: 550us}`, or on a lazily backed virtual machine
    /// `{per_mib: 550us, unbacked_per_mib: 2.8ms, backed: 1GiB, release_time_constant: 4s}`.
    private func readMemoryWrite(_ node: Node, _ path: String) -> MemoryWriteCost? {
        guard let fields = reader.fields(node, path, allowed: ["per_mib", "unbacked_per_mib", "backed", "release_time_constant"]),
              let perNode = reader.required(fields, "per_mib", what: "the time to write one MiB of fresh memory"),
              let perMiB = reader.duration(perNode, fields.path("per_mib"), positive: true, subSecondUnit: "us")
        else { return nil }
        var cost = MemoryWriteCost(perMiB: perMiB)
        var valid = true
        if let node = fields["unbacked_per_mib"] {
            if let value = reader.duration(node, fields.path("unbacked_per_mib"), positive: true, subSecondUnit: "ms") { cost.unbackedPerMiB = value } else { valid = false }
        }
        // `backed` and `release_time_constant` describe memory the host has not backed, so they
        // mean nothing without its price.
        if fields["unbacked_per_mib"] == nil {
            for key in ["backed", "release_time_constant"] {
                guard let node = fields[key] else { continue }
                reader.fail(node, fields.path(key), expected: "`unbacked_per_mib` beside it (what memory the host has not backed costs)",
                            found: "`\(key)` without it")
                valid = false
            }
        }
        if let node = fields["backed"] {
            if let value = reader.size(node, fields.path("backed")) { cost.backedBytes = value } else { valid = false }
        }
        if let node = fields["release_time_constant"] {
            if let value = reader.duration(node, fields.path("release_time_constant"), positive: true) { cost.releaseTimeConstant = value } else { valid = false }
        }
        return valid ? cost : nil
    }
}
