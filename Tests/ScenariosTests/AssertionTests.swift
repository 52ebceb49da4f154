import Testing
import WorkerCore
@testable import Scenarios

struct AssertionParsingTests {
    @Test(arguments: [
        ("queue_wait.p99 < 30s", "queue_wait.p99", Assertion.Comparison.less, 30_000_000.0),
        ("lost == 0", "lost", .equal, 0),
        ("lost==0", "lost", .equal, 0),
        ("run_time.mean <= 250ms", "run_time.mean", .lessOrEqual, 250_000),
        ("latency.max > 2", "latency.max", .greater, 2_000_000),
        ("latency.p50 >= 1m30s", "latency.p50", .greaterOrEqual, 90_000_000),
        ("throughput >= 250/s", "throughput", .greaterOrEqual, 250),
        ("throughput > 6000/m", "throughput", .greater, 100),
        ("throughput != 250", "throughput", .notEqual, 250),
        ("peak_memory < 1GiB", "peak_memory", .less, 1_073_741_824),
        ("peak_memory < 2048", "peak_memory", .less, 2_048),
        ("duplicates > 0", "duplicates", .greater, 0),
        ("peak_queue_depth > 10000", "peak_queue_depth", .greater, 10_000),
        ("succeeded >= 0.5", "succeeded", .greaterOrEqual, 0.5),
    ])
    func parses(text: String, metric: String, comparison: Assertion.Comparison, threshold: Double) throws {
        let assertion = try Assertion.parse(text)
        #expect(assertion.metric == metric)
        #expect(assertion.comparison == comparison)
        #expect(assertion.threshold == threshold)
        #expect(assertion.text == text)
    }

    @Test(arguments: [
        ("queue_wait.p95 < 30s", "unknown metric \"queue_wait.p95\""),
        ("lost = 0", "comparison"),
        ("lost 0", "comparison"),
        ("lost =< 0", "comparison"),
        ("lost == ", "a non-negative number"),
        ("lost == lots", "a non-negative number"),
        ("queue_wait.p99 < 30 parsecs", "a duration"),
        ("queue_wait.p99 < -1s", "a duration"),
        ("peak_memory < 1 furlong", "a size"),
        ("throughput > fast", "a rate"),
        ("< 3", "METRIC OP VALUE"),
        ("", "METRIC OP VALUE"),
    ])
    func rejects(text: String, phrase: String) {
        #expect(throws: AssertionSyntaxError.self) { try Assertion.parse(text) }
        do {
            _ = try Assertion.parse(text)
        } catch {
            #expect(error.description.contains(phrase), "\(error.description)")
        }
    }

    @Test func metricListAndKinds() {
        let known = Assertion.knownMetrics
        #expect(known.count == Set(known).count)
        for name in ["published", "succeeded", "failed", "retried", "revoked", "rejected", "duplicates", "lost",
                     "leftover", "invariant_violations", "restored", "worker_lost", "recycled", "oom_killed", "peak_queue_depth",
                     "peak_workers", "peak_running"] {
            #expect(Assertion.kind(of: name) == .count, "\(name)")
        }
        #expect(Assertion.kind(of: "throughput") == .rate)
        for family in ["queue_wait", "run_time", "latency"] {
            for statistic in ["p50", "p90", "p99", "max", "mean"] {
                #expect(Assertion.kind(of: "\(family).\(statistic)") == .time)
            }
        }
        #expect(Assertion.kind(of: "peak_memory") == .size)
        // A run's pipelines: their latency, and how many started, completed, failed, stuck, and stuck joins.
        for statistic in ["p50", "p90", "p99", "max", "mean"] {
            #expect(Assertion.kind(of: "pipeline.latency.\(statistic)") == .time)
        }
        for name in ["pipelines_started", "pipelines_completed", "pipelines_failed", "pipelines_stuck", "joins_stuck"] {
            #expect(Assertion.kind(of: name) == .count, "\(name)")
        }
        // A schedule's periodic runs: sent, due, duplicated, missed.
        for name in ["periodic_sends", "periodic_due", "periodic_duplicates", "periodic_missed"] {
            #expect(Assertion.kind(of: name) == .count, "\(name)")
        }
        #expect(known.count == 14 + 1 + 15 + 1 + 4 + 5 + 5 + 4)  // peaks: queue depth, workers, mean workers, running
        #expect(Assertion.kind(of: "queue_wait") == nil)
    }

    @Test func comparisonsHold() {
        #expect(Assertion.Comparison.less.holds(1, 2))
        #expect(!Assertion.Comparison.greaterOrEqual.holds(1, 2))
        #expect(Assertion.Comparison.notEqual.holds(1, 2))
    }
}
