import FleetRecording
import Yams

/// The host and broker costs `lovage calibrate --host` measures, as the file it writes and
/// `--host-from` merges into a calibrated scenario (YAML):
///
/// ```yaml
/// measured: "lovage calibrate --host -b redis://127.0.0.1:6379/0 on host-1, 2026-12-04T18:40:00Z"
/// host: {cores: 2, cpu_per_task: 700us}
/// broker: {latency: 50us}
/// fleet: {child_handoff: 300us, task_overhead: 150us}
/// ```
public struct HostSettings: Sendable, Equatable {
    public var source: String
    public var cores: Int
    /// Seconds.
    public var cpuPerTask: Double
    public var brokerLatency: Double?
    public var childHandoff: Double?
    public var taskOverhead: Double?
    /// `broker.idle_wake` (max, time constant), seconds: not measured by `--host` (docs/fidelity.md
    /// step 5 fits it from fidelity runs), merged when the file has it.
    public var idleWake: (max: Double, timeConstant: Double)?

    public init(source: String, cores: Int, cpuPerTask: Double, brokerLatency: Double?, childHandoff: Double?, taskOverhead: Double?,
                idleWake: (max: Double, timeConstant: Double)? = nil) {
        self.source = source; self.cores = cores; self.cpuPerTask = cpuPerTask
        self.brokerLatency = brokerLatency; self.childHandoff = childHandoff; self.taskOverhead = taskOverhead
        self.idleWake = idleWake
    }

    public static func == (a: HostSettings, b: HostSettings) -> Bool {
        a.source == b.source && a.cores == b.cores && a.cpuPerTask == b.cpuPerTask && a.brokerLatency == b.brokerLatency
            && a.childHandoff == b.childHandoff && a.taskOverhead == b.taskOverhead
            && a.idleWake?.max == b.idleWake?.max && a.idleWake?.timeConstant == b.idleWake?.timeConstant
    }

    public var yaml: String {
        func d(_ seconds: Double) -> String { ScenarioTextDuration.format(seconds) }
        var lines = ["measured: \"\(source.replacingOccurrences(of: "\"", with: "'"))\"",
                     "host: {cores: \(cores), cpu_per_task: \(d(cpuPerTask))}"]
        var broker: [String] = []
        if let brokerLatency { broker.append("latency: \(d(brokerLatency))") }
        if let idleWake { broker.append("idle_wake: {max: \(d(idleWake.max)), time_constant: \(d(idleWake.timeConstant))}") }
        if !broker.isEmpty { lines.append("broker: {\(broker.joined(separator: ", "))}") }
        var fleet: [String] = []
        if let childHandoff { fleet.append("child_handoff: \(d(childHandoff))") }
        if let taskOverhead { fleet.append("task_overhead: \(d(taskOverhead))") }
        if !fleet.isEmpty { lines.append("fleet: {\(fleet.joined(separator: ", "))}") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads the file `--host` wrote; errors name the file and the key.
    public static func parse(_ text: String, path: String) throws(RecordingError) -> HostSettings {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw RecordingError("\(path): not YAML: \(error)") }
        guard let mapping = root?.mapping else { throw RecordingError("\(path): expected the mapping `lovage calibrate --host` writes") }
        func duration(_ section: String, _ key: String) throws(RecordingError) -> Double? {
            guard let node = mapping[section]?.mapping?[key] else { return nil }
            guard let text = node.string, let span = ScenarioTextDuration.parse(text) else {
                throw RecordingError("\(path): \(section).\(key): expected a duration with its unit, like 300us")
            }
            return span
        }
        guard let cores = mapping["host"]?.mapping?["cores"]?.int, cores > 0 else {
            throw RecordingError("\(path): host.cores: expected a positive number of cores")
        }
        guard let cpu = try duration("host", "cpu_per_task") else { throw RecordingError("\(path): host.cpu_per_task: missing") }
        var idleWake: (max: Double, timeConstant: Double)?
        if let wake = mapping["broker"]?.mapping?["idle_wake"] {
            guard let high = wake.mapping?["max"]?.string.flatMap(ScenarioTextDuration.parse),
                  let constant = wake.mapping?["time_constant"]?.string.flatMap(ScenarioTextDuration.parse) else {
                throw RecordingError("\(path): broker.idle_wake: expected {max: DURATION, time_constant: DURATION}")
            }
            idleWake = (high, constant)
        }
        return HostSettings(source: mapping["measured"]?.string ?? path, cores: cores, cpuPerTask: cpu,
                            brokerLatency: try duration("broker", "latency"), childHandoff: try duration("fleet", "child_handoff"),
                            taskOverhead: try duration("fleet", "task_overhead"), idleWake: idleWake)
    }
}
