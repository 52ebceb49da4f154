import Foundation
import Testing
import Reports
import Scenarios
@testable import Simulation

/// `SimulationOptions.succeededRunTimes`: the run times of the bodies that succeeded, apart from
/// every body's (Celery's `runtime` is a success's only), for `lovage calibrate --check`.
struct SucceededRunTimeTests {
    /// Short bodies that always fail (retried twice, then failed for good) beside long ones that
    /// succeed: every body's median is the short one, the successes' the long one.
    static let yaml = """
        name: succeeded-run-time
        seed: 5
        duration: 20s
        drain: 1m
        fleet:
          - {name: worker, count: 1, concurrency: 4, prefetch_multiplier: 1, acks_late: true}
        tasks:
          - name: app.doomed
            duration: 10ms
            failure: {probability: 1, error: ConnectionError}
            retry: {max_retries: 2, autoretry_for: [ConnectionError], default_retry_delay: 100ms}
          - {name: app.fine, duration: 50ms}
        load:
          arrival: even
          phases: [{duration: 20s, rate: 10/s}]
          mix: {app.doomed: 1, app.fine: 1}
        """

    @Test func successesAreKeptApartWhenAsked() throws {
        let scenario = try ScenarioLoader.parse(yaml: Self.yaml, sourcePath: "succeeded.yaml")
        let kept = try Simulator(scenario: scenario, options: SimulationOptions(succeededRunTimes: true)).run().summary
        let counts = kept.counts
        #expect(counts.failed > 60 && counts.succeeded > 60 && counts.failed + counts.succeeded == counts.published)
        #expect(counts.retried == 2 * counts.failed)
        // About three short attempts for every long one: the median body is a short one.
        #expect(kept.runTime.p50 < 20_000)
        let succeeded = try #require(kept.succeededRunTime)
        #expect(succeeded.p50 >= 50_000 && succeeded.p50 < 55_000 && succeeded.max < 55_000)
        let doomed = try #require(kept.byTask.first { $0.task == "app.doomed" })
        let fine = try #require(kept.byTask.first { $0.task == "app.fine" })
        #expect(doomed.runTime.p50 >= 10_000 && doomed.succeededRunTime?.max == 0)
        #expect(fine.succeededRunTime == fine.runTime)
    }

    @Test func aPlainRunKeepsNoneAndItsFilesAreUnchanged() throws {
        let scenario = try ScenarioLoader.parse(yaml: Self.yaml, sourcePath: "succeeded.yaml")
        let plain = try Simulator(scenario: scenario).run().summary
        let kept = try Simulator(scenario: scenario, options: SimulationOptions(succeededRunTimes: true)).run().summary
        #expect(plain.succeededRunTime == nil && plain.byTask.allSatisfy { $0.succeededRunTime == nil })
        #expect(plain.traceHash == kept.traceHash && plain.runTime == kept.runTime && plain.counts == kept.counts)
        let json = String(decoding: try SummaryFiles.encoder().encode(plain), as: UTF8.self)
        #expect(!json.contains("succeeded_run_time"))
    }
}
