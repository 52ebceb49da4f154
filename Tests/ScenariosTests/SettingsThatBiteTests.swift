import Testing
import WorkerCore
@testable import Scenarios

/// Settings in the unit meant, and `--set`/`--vary` changes that change the run or are refused.
@Suite("Settings that bite")
struct SettingsThatBiteTests {
    func load(_ yaml: String) throws -> Scenario { try ScenarioLoader.parse(yaml: yaml, sourcePath: "t.yaml") }

    func group(_ lines: String) -> String { base(replacing: 5, with: "    concurrency: 2\n" + lines) }

    @Test("max_memory_per_child: a bare number is KiB, as Celery and lovage worker count it; a unit is taken as written")
    func maxMemoryPerChildUnits() throws {
        #expect(try load(group("    max_memory_per_child: 200000")).fleet[0].maxMemoryPerChildKiB == 200_000)
        #expect(try load(group("    max_memory_per_child: 200MiB")).fleet[0].maxMemoryPerChildKiB == 204_800)
        #expect(try load(group("    max_memory_per_child: 1GB")).fleet[0].maxMemoryPerChildKiB == 976_562)
        #expect(try load(group("    memory_limit: 805306368")).fleet[0].memoryLimitBytes == 805_306_368)
    }

    @Test("sub-second keys take a unit, zero needs none, and seconds-typical keys keep bare seconds")
    func subSecondKeysAccepted() throws {
        let scenario = try load(group("    child_handoff: 300us\n    task_overhead: 0\n    child_startup: 1.5s\n    restart_delay: 10"))
        #expect(scenario.fleet[0].childHandoff == .microseconds(300))
        #expect(scenario.fleet[0].taskOverhead == .zero)
        #expect(scenario.fleet[0].childStartup == .milliseconds(1_500))
        #expect(scenario.fleet[0].restartDelay == .seconds(10))
        // A task's duration is not sub-second typical: a bare number stays seconds.
        #expect(try load(base(replacing: 8, with: "    duration: 2")).tasks[0].body.duration == DurationDistribution.constant(.seconds(2)))
    }

    @Test("the nearest allowed name is suggested only when it is a likely typo")
    func nearestName() {
        #expect(NearestName.suggestion(for: "concurency", among: ["count", "concurrency", "autoscale"]) == "concurrency")
        #expect(NearestName.suggestion(for: "prefecth_multiplier", among: ScenarioBuilder.groupKeys) == "prefetch_multiplier")
        #expect(NearestName.suggestion(for: "Workers", among: ScenarioOverride.keys) == "workers")
        #expect(NearestName.suggestion(for: "threads", among: ScenarioOverride.keys) == nil)
        #expect(NearestName.suggestion(for: "colour", among: ScenarioLoader.topLevelKeys) == nil)
        #expect(NearestName.editDistance(Array("ab".unicodeScalars), Array("ba".unicodeScalars)) == 1)
    }

    // MARK: --set / --vary

    func set(_ texts: String...) throws -> [ScenarioOverride] { try texts.map { try ScenarioOverride(parsing: $0) } }

    func refusal(_ scenario: Scenario, _ texts: String...) -> String {
        do {
            _ = try scenario.overriding(try texts.map { text throws(ScenarioOverrideError) in try ScenarioOverride(parsing: text) })
            return "accepted"
        } catch let error as ScenarioOverrideError {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    var autoscaled: Scenario {
        get throws { try load(base(replacing: 5, with: "    autoscale: {max: 8, min: 2}")) }
    }

    @Test("concurrency on an autoscaled group is refused naming autoscale; autoscale=off first makes it bite")
    func concurrencyOnAutoscaled() throws {
        let message = refusal(try autoscaled, "concurrency=12")
        #expect(message.contains("concurrency has no effect on group w: it is autoscaled (autoscale: 8,2)"), "\(message)")
        #expect(message.contains("set autoscale=MAX,MIN instead or autoscale=off first"), "\(message)")
        let fixed = try autoscaled.overriding(set("autoscale=off", "concurrency=4"))
        #expect(fixed.fleet[0].autoscale == nil && fixed.fleet[0].concurrency == 4)
        let regrown = try autoscaled.overriding(set("autoscale=16,4"))
        #expect(regrown.fleet[0].autoscale?.maxConcurrency == 16 && regrown.fleet[0].autoscale?.minConcurrency == 4)
    }

    @Test("autoscale=off where nothing is autoscaled is refused; autoscale=MAX,MIN on a fixed pool bites")
    func autoscaleOff() throws {
        let fixed = try load(validBase)
        #expect(refusal(fixed, "autoscale=off").contains("no worker group of t is autoscaled"))
        #expect(try fixed.overriding(set("autoscale=8,2")).fleet[0].autoscale?.maxConcurrency == 8)
    }

    @Test("workers on a group with a fleet scaler is refused naming the scaler; scaler.policy=off first makes it bite")
    func workersOnScaledGroup() throws {
        let scaled = try load(base(replacing: 5, with: "    concurrency: 2\n    scaler: {policy: queue_length, list_length: 5, min_replicas: 1, max_replicas: 6}"))
        let message = refusal(scaled, "workers=3")
        #expect(message.contains("workers has no lasting effect on group w: its fleet scaler (queue_length, 1 to 6 replicas)"), "\(message)")
        #expect(message.contains("scaler.max_replicas"), "\(message)")
        #expect(try scaled.overriding(set("scaler.policy=off", "workers=3")).fleet[0].count == 3)
    }

    @Test("rate on a load with no rated phase is refused; seed, prefetch and max_tasks_per_child always apply")
    func rateAndOthers() throws {
        var burstsOnly = try load(validBase)
        burstsOnly.load.phases = []
        #expect(refusal(burstsOnly, "rate=40").contains("rate has no effect on t: its load has no phase with a rate"))
        let changed = try load(validBase).overriding(set("seed=9", "prefetch_multiplier=4", "max_tasks_per_child=10", "rate=40/s"))
        #expect(changed.seed == 9 && changed.fleet[0].prefetchMultiplier == 4 && changed.fleet[0].maxTasksPerChild == 10)
        #expect(changed.load.phases[0].rateFrom == 40)
    }

    @Test("a misspelt --set key gets the nearest key; an unknown one the list")
    func misspeltSetKey() {
        for (text, phrase) in [("concurency=12", #"unknown key concurency (did you mean "concurrency"?); known: workers"#),
                               ("scaler.max_replica=4", #"(did you mean "scaler.max_replicas"?)"#),
                               ("threads=4", "unknown key threads; known: workers")] {
            do {
                _ = try ScenarioOverride(parsing: text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.description.contains(phrase), "\(error)")
            }
        }
    }

    @Test("a run with settings writes to a folder that names them, never the file's own run's folder")
    func folderNames() throws {
        #expect(ScenarioOverride.defaultFolder(scenario: "dify-default", seed: 42, overrides: []) == "results/runs/dify-default-seed42")
        #expect(ScenarioOverride.defaultFolder(scenario: "dify-default", seed: 42, overrides: try set("workers=10", "concurrency=8"))
                == "results/runs/dify-default-seed42-workers10-concurrency8")
        #expect(ScenarioOverride.folderSlug(try set("autoscale=8,2", "rate=500/s", "scaler.policy=hpa", "seed=3"))
                == "autoscale8-2-rate500-s-scaler.policyhpa")
        #expect(ScenarioOverride.defaultFolder(scenario: "x", kind: "redis-", seed: 1, overrides: try set("workers=2"))
                == "results/runs/x-redis-seed1-workers2")
    }
}
