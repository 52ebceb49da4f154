import Foundation
import Reports
import Scenarios
import Simulation
import Testing
import WorkerCore

@Suite("Plans over many seeds: the confidence rule, --vary lists, --seeds, --confidence and the default SLOs")
struct PlanConfidenceTests {
    @Test("the confidence rule: ⌈confidence × N⌉ passes, and more than N minus that failures rule a configuration out")
    func rule() {
        let rule = ConfidenceRule(confidence: 0.9, seeds: 10)
        #expect(rule.requiredPasses == 9 && rule.allowedFailures == 1)
        #expect(rule.holds(passes: 9) && rule.holds(passes: 10) && !rule.holds(passes: 8))
        #expect(!rule.clearlyFails(failures: 1) && rule.clearlyFails(failures: 2))
        #expect(ConfidenceRule(confidence: 0.9, seeds: 30).requiredPasses == 27)
        #expect(ConfidenceRule(confidence: 0.95, seeds: 10).requiredPasses == 10)
        #expect(ConfidenceRule(confidence: 0.5, seeds: 5).requiredPasses == 3)
        #expect(ConfidenceRule(confidence: 1, seeds: 7).allowedFailures == 0)
        // One seed of ten never carries a configuration.
        #expect(!rule.holds(passes: 1))
    }

    @Test("a configuration meets an SLO only when it holds on enough of its seeds, never on one lucky seed")
    func rowsJudgeOverSeeds() throws {
        let scenario = makeScenario(duration: .seconds(120), drain: .seconds(60), rate: 60, workers: 1, concurrency: 4, prefetch: 1,
                                    taskDuration: .exponential(mean: .milliseconds(50)))
        let seeds: [UInt64] = Array(1...10)
        let summaries = try seeds.map { try Simulator(scenario: scenario, options: SimulationOptions(seed: $0)).run().summary }
        let p99s = summaries.map { Double($0.queueWait.p99) }.sorted()
        #expect(Set(p99s).count >= 9, "the seeds should give different p99s: \(p99s)")
        let rule = ConfidenceRule(confidence: 0.9, seeds: 10)
        func row(thresholdMicros: Double) throws -> CapacityPlan.Row {
            let slo = try Assertion.parse("queue_wait.p99 < \(thresholdMicros / 1_000_000)s")
            return CapacityPlan.Row(settings: [], seeds: seeds, summaries: summaries, paid: seeds.map { _ in (workers: 1, slots: 4) },
                                    objectives: [slo], rule: rule, erlang: nil, handOffSeconds: 0)
        }
        // Just above the lowest p99: it holds on the luckiest seed only.
        let lucky = try row(thresholdMicros: p99s[0] + 1)
        #expect(lucky.slo[0].spread.passes >= 1 && !lucky.meetsSLO)
        // Just above the 9th smallest: 9 of 10 hold, which is 90%.
        let enough = try row(thresholdMicros: p99s[8] + 1)
        #expect(enough.slo[0].spread.passes >= 9 && enough.meetsSLO)
        #expect(enough.slo[0].spread.confidenceValue == p99s[8])
        #expect(enough.slo[0].confidenceMargin! > 0 && enough.slo[0].confidenceMargin! <= 1.0001 + (p99s[8] + 1 - p99s[8]))
        // Just at the 9th smallest (strictly less fails there): 8 of 10.
        if p99s[7] < p99s[8] {
            let short = try row(thresholdMicros: p99s[8])
            #expect(short.slo[0].spread.passes == 8 && !short.meetsSLO)
            #expect(short.slo[0].confidenceMargin == 0)
        }
        #expect(enough.slo[0].spread.min == p99s[0] && enough.slo[0].spread.max == p99s[9])
        #expect(enough.slo[0].spread.median == (p99s[4] + p99s[5]) / 2)
    }

    @Test("a configuration meets its SLOs only on seeds where they all hold at once, not each on different seeds")
    func jointRule() throws {
        let scenario = makeScenario(duration: .seconds(120), drain: .seconds(60), rate: 60, workers: 1, concurrency: 4, prefetch: 1,
                                    taskDuration: .exponential(mean: .milliseconds(50)))
        let seeds: [UInt64] = Array(1...10)
        let summaries = try seeds.map { try Simulator(scenario: scenario, options: SimulationOptions(seed: $0)).run().summary }
        let rule = ConfidenceRule(confidence: 0.9, seeds: 10)
        // Each threshold fails exactly its metric's worst seed; when those are different seeds,
        // each SLO holds on 9 of 10 alone but both hold together on only 8.
        let p99s = summaries.map { Double($0.queueWait.p99) }
        let p50s = summaries.map { Double($0.queueWait.p50) }
        let worstP99 = p99s.indices.max { p99s[$0] < p99s[$1] }!
        let worstP50 = p50s.indices.max { p50s[$0] < p50s[$1] }!
        let onP99 = try Assertion.parse("queue_wait.p99 < \(p99s[worstP99] / 1_000_000)s")
        let onP50 = try Assertion.parse("queue_wait.p50 < \(p50s[worstP50] / 1_000_000)s")
        let row = CapacityPlan.Row(settings: [], seeds: seeds, summaries: summaries, paid: seeds.map { _ in (workers: 1, slots: 4) },
                                   objectives: [onP99, onP50], rule: rule, erlang: nil, handOffSeconds: 0)
        #expect(row.slo.allSatisfy { $0.holds })
        if worstP99 != worstP50 {
            #expect(row.allSLOPasses == 8 && !row.meetsSLO)
        } else {
            #expect(row.allSLOPasses == 9 && row.meetsSLO)
        }
    }

    @Test("the spread's quantiles interpolate, the judged value follows the bound's direction, and margins have signs")
    func spread() throws {
        let upper = try Assertion.parse("queue_wait.p99 < 10s")
        let lower = try Assertion.parse("throughput > 5/s")
        let rule = ConfidenceRule(confidence: 0.9, seeds: 10)
        let values: [Double?] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map { $0 * 1_000_000 }
        let up = SeedSpread(assertion: upper, values: values, rule: rule)
        #expect(up.passes == 9 && up.confidenceValue == 9_000_000 && up.p10 == 1_900_000 && up.p90 == 9_100_000)
        #expect(SeedSpread.margin(up.confidenceValue, to: upper) == 1_000_000)
        let down = SeedSpread(assertion: lower, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], rule: rule)
        #expect(down.passes == 5 && down.confidenceValue == 2 && SeedSpread.margin(2, to: lower) == -3)
        // A missing figure counts as a miss.
        let missing = SeedSpread(assertion: upper, values: [nil, 1], rule: ConfidenceRule(confidence: 0.5, seeds: 2))
        #expect(missing.passes == 1 && missing.failures == 1)
        #expect(SeedSpread.margin(0, to: try Assertion.parse("leftover == 0")) == nil)
    }

    @Test("--vary lists: | separates values that hold commas, autoscale=MAX,MIN is one value, ranges expand, seed is refused")
    func varyLists() throws {
        #expect(try PlanSettings.values(ofVary: "autoscale=8,2|16,4|off") == ["autoscale=8,2", "autoscale=16,4", "autoscale=off"])
        #expect(try PlanSettings.values(ofVary: "autoscale=8,2") == ["autoscale=8,2"])
        #expect(try PlanSettings.values(ofVary: "workers=1,2,4") == ["workers=1", "workers=2", "workers=4"])
        #expect(try PlanSettings.values(ofVary: "workers=1...3|6") == ["workers=1", "workers=2", "workers=3", "workers=6"])
        #expect(try PlanSettings.values(ofVary: "concurrency=2...4") == ["concurrency=2", "concurrency=3", "concurrency=4"])
        #expect(try PlanSettings.configurations(["autoscale=8,2|off", "workers=1,2"]).count == 4)
        for bad in ["workers=", "workers=1,,2", "workers=3...1", "=4"] {
            #expect(throws: PlanSettingsError.self) { try PlanSettings.configurations([bad]) }
        }
        do {
            _ = try PlanSettings.configurations(["autoscale=8,2,16,4"])
            Issue.record("autoscale=8,2,16,4 should be refused")
        } catch { #expect(error.description.contains("autoscale=8,2|16,4|off")) }
        do {
            _ = try PlanSettings.configurations(["seed=1...5"])
            Issue.record("seed should be refused")
        } catch { #expect(error.description.contains("use --seeds")) }
    }

    @Test("--seeds is a count from the scenario's seed or a range; --confidence reads 0.9 and 90%")
    func seedsAndConfidence() throws {
        #expect(try PlanSettings.seeds("10", scenarioSeed: 42) == Array(42...51))
        #expect(try PlanSettings.seeds("1000...1029", scenarioSeed: 42) == Array(1000...1029))
        #expect(try PlanSettings.seeds("1", scenarioSeed: 7) == [7])
        for bad in ["0", "-3", "5...3", "ten", "1..5", "2000"] {
            #expect(throws: PlanSettingsError.self) { try PlanSettings.seeds(bad, scenarioSeed: 1) }
        }
        #expect(try PlanSettings.confidence("90%") == 0.9)
        #expect(try PlanSettings.confidence("0.9") == 0.9)
        #expect(try PlanSettings.confidence("1") == 1)
        do {
            _ = try PlanSettings.confidence("90")
            Issue.record("90 should be refused")
        } catch { #expect(error.description.contains("did you mean 90%")) }
        for bad in ["0", "0%", "101%", "-0.5", "high"] {
            #expect(throws: PlanSettingsError.self) { try PlanSettings.confidence(bad) }
        }
    }

    @Test("default SLOs add leftover == 0 and lost == 0 unless the user bounds the metric or says --no-default-slos")
    func defaultObjectives() throws {
        let wait = try Assertion.parse("queue_wait.p99 < 1s")
        #expect(PlanSettings.objectives([wait], includeDefaults: true).map(\.text) == ["queue_wait.p99 < 1s", "leftover == 0", "lost == 0"])
        let someLeft = try Assertion.parse("leftover < 5")
        #expect(PlanSettings.objectives([wait, someLeft], includeDefaults: true).map(\.text) == ["queue_wait.p99 < 1s", "leftover < 5", "lost == 0"])
        #expect(PlanSettings.objectives([wait], includeDefaults: false).map(\.text) == ["queue_wait.p99 < 1s"])
        // A scenario with pipelines also may not leave one stuck (a join that never fires).
        #expect(PlanSettings.objectives([wait], includeDefaults: true, pipelines: true).map(\.text)
                == ["queue_wait.p99 < 1s", "leftover == 0", "lost == 0", "pipelines_stuck == 0"])
        #expect(PlanSettings.objectives([wait], includeDefaults: false, pipelines: true).map(\.text) == ["queue_wait.p99 < 1s"])
        // A pipeline SLO is an SLO like any other, and a bound on pipelines_stuck replaces the default.
        let pipeline = try Assertion.parse("pipeline.latency.p99 < 5m")
        let fewStuck = try Assertion.parse("pipelines_stuck <= 2")
        #expect(PlanSettings.objectives([pipeline, fewStuck], includeDefaults: true, pipelines: true).map(\.text)
                == ["pipeline.latency.p99 < 5m", "pipelines_stuck <= 2", "leftover == 0", "lost == 0"])
    }

    @Test("plan.html draws each SLO's spread with the threshold, value ticks with units and hover text")
    func html() throws {
        let scenario = makeScenario(duration: .seconds(60), drain: .seconds(60), rate: 30, workers: 1, concurrency: 2, prefetch: 1,
                                    taskDuration: .exponential(mean: .milliseconds(50)))
        let seeds: [UInt64] = [1, 2, 3]
        let summaries = try seeds.map { try Simulator(scenario: scenario, options: SimulationOptions(seed: $0)).run().summary }
        let slo = try Assertion.parse("queue_wait.p99 < 1s")
        let row = CapacityPlan.Row(settings: [try ScenarioOverride(parsing: "concurrency=2")], seeds: seeds, summaries: summaries,
                                   paid: seeds.map { _ in (workers: 1, slots: 2) }, objectives: [slo],
                                   rule: ConfidenceRule(confidence: 0.9, seeds: 3), erlang: nil, handOffSeconds: 0)
        let html = CapacityPlanHTML.render(CapacityPlan(rows: [row], rule: ConfidenceRule(confidence: 0.9, seeds: 3)), scenario: "t",
                                           format: { value, _ in humanDuration(microseconds: value) })
        #expect(html.contains("holds in 3 of 3"))
        #expect(html.contains("<title>concurrency=2 (2 slots): median "))
        #expect(html.contains("stroke-dasharray=\"4 3\"><title>threshold: queue_wait.p99 &lt; 1s"))
        #expect(html.contains(">1.00s</text>"), "a tick at the threshold's value with its unit")
        #expect(CapacityPlanHTML.ticks(upTo: 60_000_000) == [0, 20_000_000, 40_000_000, 60_000_000])
        #expect(CapacityPlanHTML.ticks(upTo: 7) == [0, 2, 4, 6, 8])
        // Times of seconds and more step as a clock does: 150 s in 30 s steps, not 50 s ones.
        #expect(CapacityPlanHTML.ticks(upTo: 150_000_000, isTime: true) == [0, 30, 60, 90, 120, 150].map { $0 * 1_000_000 })
        #expect(CapacityPlanHTML.ticks(upTo: 150_000_000) == [0, 50, 100, 150].map { $0 * 1_000_000 })
        // Counts step by whole numbers: leftover 0 across every configuration reads 0 and 1, not 0.000 five times.
        #expect(CapacityPlanHTML.ticks(upTo: 1, wholeNumbers: true) == [0, 1])
        #expect(CapacityPlanHTML.ticks(upTo: 1).count == 6)
    }
}
