import ArgumentParser
import Foundation
import Reports
import Scenarios

/// `lovage simulate FILE --figures-only --seeds 11,12,13 [--set …]`: what `lovage plan` runs for one
/// configuration. The scenario is read and overridden once, then simulated on each seed in the
/// order given; each run's summary (without its timeline) is written to standard output as one
/// line of JSON as soon as it is done, so the plan can judge seed by seed and stop the process
/// once a configuration clearly fails. Scenario assertions do not change the exit status (the
/// plan judges by its SLOs); it is 0, or 2 when the scenario is invalid.
///
/// One process per configuration rather than per run: process start-up and reading the YAML were
/// paid once per seed before (see Benchmarks/plan-sweep.sh for the figures).
struct SeedBatch {
    var file: String
    var seeds: [UInt64]
    var overrides: [ScenarioOverride]

    /// Reads `11,12,13` (what the plan passes; not meant to be typed).
    static func parseSeeds(_ text: String) throws -> [UInt64] {
        let seeds = text.split(separator: ",").compactMap { UInt64($0) }
        guard !seeds.isEmpty, seeds.count == text.split(separator: ",", omittingEmptySubsequences: false).count else {
            throw ValidationError("--seeds \(text): expected seeds separated by commas, like 11,12,13")
        }
        return seeds
    }

    func printFigures() throws {
        let scenario: Scenario
        do { scenario = try ScenarioLoader.load(path: file).overriding(overrides) } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        for seed in seeds {
            var line = try SweepRuns.figureLine(scenario, seed: seed)
            line.append(0x0A)
            // Unbuffered: the plan reads each line as it comes.
            FileHandle.standardOutput.write(line)
        }
    }
}
