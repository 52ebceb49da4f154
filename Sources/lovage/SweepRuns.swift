import Exploration
import Foundation
import Reports
import Scenarios
import Simulation

/// The one place a sweep's runs are computed, whether `lovage simulate --figures-only` runs them
/// in a child process of `lovage plan`, `lovage explore` runs them on its threads, or a worker runs
/// them as the `lovage.simulate` task for `--broker`: the same code gives the same bytes.
enum SweepRuns {
    /// The scenario as one configuration runs it: the YAML parsed as the file at `sourcePath`
    /// (so its messages and a load trace beside it are named as locally), then the settings.
    static func scenario(yaml: String, sourcePath: String, settings: [ScenarioOverride]) throws -> Scenario {
        try ScenarioLoader.parse(yaml: yaml, sourcePath: sourcePath).overriding(settings)
    }

    /// One seed's summary without its timeline, as one line of JSON (no newline): what a plan reads.
    static func figureLine(_ scenario: Scenario, seed: UInt64) throws -> Data {
        var summary = try Simulator(scenario: scenario, options: SimulationOptions(seed: seed, figureThread: false)).run().summary
        summary.timeline = []
        return try SummaryFiles.encoder(pretty: false).encode(summary)
    }

    /// One explored seed's outcome (trace hash and broken invariants) as one line of JSON.
    static func outcomeLine(_ scenario: Scenario, seed: UInt64, swarm: Bool) throws -> Data {
        try outcomeEncoder().encode(try Explorer.check(scenario, seed: seed, swarm: swarm))
    }

    /// Sorted keys: the same outcome is always the same bytes.
    static func outcomeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
