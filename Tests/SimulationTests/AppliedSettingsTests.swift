import Foundation
import Reports
import Scenarios
import Simulation
import Testing

/// What a run with `--set` records: the settings it applied, in summary.json's `applied_settings`.
@Suite("Applied settings recorded")
struct AppliedSettingsTests {
    func json(_ summary: RunSummary) throws -> [String: Any] {
        let data = try SummaryFiles.encoder().encode(summary)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("applied_settings is written when set and empty for the file's own run; it reads back")
    func appliedSettingsInSummaryJSON() throws {
        let scenario = try makeScenario(workers: 1, concurrency: 2)
            .overriding([ScenarioOverride(parsing: "workers=3"), ScenarioOverride(parsing: "concurrency=4")])
        var summary = try Simulator(scenario: scenario).run().summary
        #expect(try json(summary)["applied_settings"] as? [String] == [])
        let plainHash = summary.traceHash
        summary.appliedSettings = ["workers=3", "concurrency=4"]
        #expect(try json(summary)["applied_settings"] as? [String] == ["workers=3", "concurrency=4"])
        let decoded = try SummaryFiles.decoder().decode(RunSummary.self, from: SummaryFiles.encoder().encode(summary))
        #expect(decoded.appliedSettings == ["workers=3", "concurrency=4"] && decoded.traceHash == plainHash)
    }
}
