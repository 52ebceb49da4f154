import CeleryWire
import Foundation
import LiveWorker
import Scenarios
import Workload

/// `lovage worker --tasks-from FILE`: a scenario's task names registered as synthetic bodies
/// (`SyntheticTask.run`: the body model in the message's kwargs) with the scenario's Celery task
/// options, so a body only fails and the worker's core decides whether, when and how often it is
/// retried, from the task's `max_retries`, `autoretry_for`, backoff and the rest, exactly as it does
/// in the simulator. Time limits, rate limits, acks_late and the other per-task options act the
/// same way.
public enum ScenarioTaskRegistration {
    /// How a worker tells its prefork children (`lovage worker-child`, the same executable) which
    /// names to answer with the synthetic body: a JSON list of names in their environment. Options
    /// are the parent's business (its core decides); a child only runs bodies.
    public static let childEnvironmentKey = "LOVAGE_SYNTHETIC_TASKS"

    /// The table a `--tasks-from` file gives: a `.json` file is a table `lovage run` wrote
    /// (`ScenarioTaskTable.json`, already time-scaled); anything else is read as a scenario file,
    /// whose tasks take the task defaults of the fleet group `group` (needed only when the
    /// scenario has more than one).
    public static func table(from path: String, group: String?) throws(ScenarioTaskTable.TableError) -> ScenarioTaskTable {
        if path.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .init("\(path): cannot read the task table")
            }
            let value: JSONValue
            do { value = try JSONValue.parse([UInt8](data)) } catch {
                throw .init("\(path): not JSON (\(error))")
            }
            do { return try ScenarioTaskTable(json: value) } catch { throw .init("\(path): \(error)") }
        }
        let scenario: Scenario
        do { scenario = try ScenarioLoader.load(path: path) } catch { throw .init("\(error)") }
        let names = scenario.fleet.map(\.name)
        let chosen: WorkerGroupSpec
        if let group {
            guard let found = scenario.fleet.first(where: { $0.name == group }) else {
                throw .init("\(path): no fleet group \"\(group)\"\(NearestName.hint(for: group, among: names)) (groups: \(names.joined(separator: ", ")))")
            }
            chosen = found
        } else {
            guard scenario.fleet.count == 1, let only = scenario.fleet.first else {
                throw .init("\(path): the fleet has \(scenario.fleet.count) groups (\(names.joined(separator: ", "))); name the one this worker is with --tasks-group")
            }
            chosen = only
        }
        return ScenarioTaskTable(scenario: scenario, group: chosen)
    }

    /// Registers every task of the table as a synthetic body with its options.
    public static func register(_ table: ScenarioTaskTable, into registry: inout TaskRegistry) {
        for task in table.tasks { registry.register(task.name, options: task.options, body: SyntheticTask.run) }
    }

    /// The environment value that tells the prefork children the table's names.
    public static func childEnvironmentValue(_ table: ScenarioTaskTable) -> String {
        JSONValue.array(table.tasks.map { .string($0.name) }).serializedString()
    }

    /// In a prefork child: registers the names its parent put in `environment` as synthetic bodies.
    public static func registerForChild(from environment: [String: String], into registry: inout TaskRegistry) {
        guard let text = environment[childEnvironmentKey], let names = try? JSONValue.parse(text).arrayValue else { return }
        for name in names.compactMap({ $0.stringValue }) { registry.register(name, body: SyntheticTask.run) }
    }
}
