import CeleryWire
import Foundation
import LiveWorker
import Scenarios
import WorkerCore

/// The built-in task `lovage.simulate`: runs seeds of one scenario configuration on whichever
/// worker takes it, for `lovage plan --broker` and `lovage explore --broker`.
///
/// Keyword arguments: `scenario` (the YAML text), `source_path` (the file's name on the publisher,
/// used in messages and to find a load trace beside it), `settings` (`--set` strings), `seeds`
/// (whole numbers), `returns` (`figures`: each seed's summary line as `simulate --figures-only`
/// prints it; `outcomes`: each seed's trace hash and broken invariants as `explore` judges it) and,
/// for outcomes, `swarm` (default true). The result is `{"build", "worker", "figures"|"outcomes"}`:
/// one JSON string per seed in the order given, plus this worker's build identity and node name so
/// the publisher can refuse a result from another build.
///
/// Registered here, in the lovage executable, so LiveWorker does not depend on the simulator. The
/// task's own options ask for acks_late (and a requeue when a prefork child dies): a worker killed
/// mid-run leaves the message unacknowledged, and the broker restores it to another worker after the
/// visibility timeout. A run is deterministic, so running it twice gives the same result.
enum SimulateTask {
    static let name = "lovage.simulate"
    /// Set by `lovage worker` (and inherited by its prefork children): the node name put in results.
    static let nodeNameKey = "LOVAGE_WORKER_NODE_NAME"

    enum Returns: String { case figures, outcomes }

    struct Request {
        var yaml: String
        var sourcePath: String
        var settings: [String]
        var seeds: [UInt64]
        var returns: Returns
        var swarm: Bool

        /// The keyword arguments of the message; the inverse of `init(kwargs:)`.
        var kwargs: JSONObject {
            var object: JSONObject = ["scenario": .string(yaml), "source_path": .string(sourcePath),
                                      "settings": .array(settings.map { .string($0) }),
                                      "seeds": .array(seeds.map { .int(Int64(truncatingIfNeeded: $0)) }),
                                      "returns": .string(returns.rawValue)]
            if returns == .outcomes { object["swarm"] = .bool(swarm) }
            return object
        }

        init(yaml: String, sourcePath: String, settings: [String], seeds: [UInt64], returns: Returns, swarm: Bool) {
            self.yaml = yaml; self.sourcePath = sourcePath; self.settings = settings; self.seeds = seeds
            self.returns = returns; self.swarm = swarm
        }

        /// Reads the keyword arguments, naming the one that is missing or of the wrong type.
        init(kwargs: JSONObject) throws(TaskInputError) {
            guard let yaml = kwargs["scenario"]?.stringValue else { throw TaskInputError("scenario: expected the scenario's YAML text as a string") }
            let sourcePath = kwargs["source_path"]?.stringValue ?? "scenario.yaml"
            let settingValues = kwargs["settings"]?.arrayValue ?? []
            let settings = settingValues.compactMap(\.stringValue)
            guard settings.count == settingValues.count else { throw TaskInputError("settings: expected a list of KEY=VALUE strings") }
            guard let seedValues = kwargs["seeds"]?.arrayValue, !seedValues.isEmpty else {
                throw TaskInputError("seeds: expected a non-empty list of whole numbers")
            }
            let seeds = seedValues.compactMap { $0.intValue.flatMap { $0 >= 0 ? UInt64($0) : nil } }
            guard seeds.count == seedValues.count else { throw TaskInputError("seeds: expected whole numbers >= 0") }
            let returnsText = kwargs["returns"]?.stringValue ?? "figures"
            guard let returns = Returns(rawValue: returnsText) else {
                throw TaskInputError("returns: expected figures or outcomes, got \(returnsText)")
            }
            let swarm = kwargs["swarm"]?.boolValue ?? true
            self.init(yaml: yaml, sourcePath: sourcePath, settings: settings, seeds: seeds, returns: returns, swarm: swarm)
        }
    }

    struct TaskInputError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = "lovage.simulate: " + description }
    }

    /// Registers the task with acks_late and reject_on_worker_lost on top of the worker's defaults.
    static func register(into registry: inout TaskRegistry, defaults: TaskOptions) {
        var options = defaults
        options.acksLate = true
        options.rejectOnWorkerLost = true
        registry.register(name, options: options, body: run)
    }

    static func run(_ context: TaskContext) -> TaskBodyResult {
        do {
            let request = try Request(kwargs: context.kwargs)
            return .success(.object(try results(of: request)))
        } catch let error as TaskInputError {
            return .failure(ErrorDescription(type: "ValueError", message: error.description))
        } catch {
            return .failure(ErrorDescription(type: "ValueError", message: "lovage.simulate: \(error)"))
        }
    }

    /// Runs the request's seeds in order through `SweepRuns`, as the local sweep does.
    static func results(of request: Request) throws -> JSONObject {
        let overrides: [ScenarioOverride]
        do { overrides = try ScenarioOverride.parseAll(request.settings) } catch { throw TaskInputError("settings: \(error)") }
        let scenario: Scenario
        do { scenario = try SweepRuns.scenario(yaml: request.yaml, sourcePath: request.sourcePath, settings: overrides) } catch {
            throw TaskInputError("scenario: \(error)")
        }
        var lines: [JSONValue] = []
        for seed in request.seeds {
            let line = request.returns == .figures
                ? try SweepRuns.figureLine(scenario, seed: seed)
                : try SweepRuns.outcomeLine(scenario, seed: seed, swarm: request.swarm)
            lines.append(.string(String(decoding: line, as: UTF8.self)))
        }
        let worker = ProcessInfo.processInfo.environment[nodeNameKey]
            ?? "pid \(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)"
        return ["build": .string(BuildIdentity.current), "worker": .string(worker), request.returns.rawValue: .array(lines)]
    }
}
