import Foundation
import Testing
import Scenarios
import WorkerCore
@testable import Exploration

@Suite("explore, replay and shrink")
struct ExplorationTests {
    @Test("outcomes are the same whatever the number of threads")
    func sameOutcomesAcrossJobs() throws {
        let scenario = try PainPointScenarios.shipped("worker-killed-acks-late.yaml")
        let seeds = SeedRange(first: 1, last: 3)
        let one = try Explorer(scenario: scenario, seeds: seeds, jobs: 1).run()
        let two = try Explorer(scenario: scenario, seeds: seeds, jobs: 3).run()
        #expect(one == two)
        #expect(one.map(\.seed) == [1, 2, 3])
        let report = { (outcomes: [SeedOutcome]) in ExplorationReport(scenarioName: scenario.name, file: "x.yaml", seeds: seeds, swarm: true, outcomes: outcomes).text }
        #expect(report(one) == report(two))
    }

    @Test("a seed's swarm is drawn from the seed alone and only varies the scenario's own faults and chances")
    func swarmStaysWithinTheScenario() throws {
        let scenario = try PainPointScenarios.shipped("worker-killed-acks-late.yaml")
        var kinds: Set<Int> = []
        for seed in UInt64(1)...40 {
            let swarm = Swarm.choose(for: scenario, seed: seed)
            #expect(swarm == Swarm.choose(for: scenario, seed: seed))
            let applied = swarm.apply(to: scenario)
            #expect(applied.faults.count <= scenario.faults.count)
            for (index, fault) in zip(swarm.keptFaults, applied.faults) {
                #expect(fault.kind == scenario.faults[index].kind)
                #expect(abs((fault.start - scenario.faults[index].start).microseconds) <= scenario.duration.microseconds / 10)
            }
            kinds.insert(applied.faults.count)
        }
        // Over 40 seeds every subset size of the two faults shows up.
        #expect(kinds == [0, 1, 2])
        let unchanged = try PainPointScenarios.shipped("visibility-timeout-duplicate.yaml")
        #expect(Swarm.choose(for: unchanged, seed: 9).apply(to: unchanged).faults.isEmpty)
        #expect(Swarm.choose(for: unchanged, seed: 9).changes(from: unchanged).isEmpty)
    }

    @Test("chances are scaled, never invented")
    func chancesScaled() throws {
        let scenario = try PainPointScenarios.parse(PainPointScenarios.rejectOnWorkerLost(true), "loop")
        var seen: Set<Double> = []
        for seed in UInt64(1)...30 {
            let applied = Swarm.choose(for: scenario, seed: seed).apply(to: scenario)
            seen.insert(applied.tasks[0].body.crashProbability)
            #expect(applied.tasks[0].body.failureProbability == 0)
            #expect(applied.tasks[0].body.hangProbability == 0)
        }
        #expect(seen == [0, 0.5, 1])
    }

    @Test("replay tells the story of the duplicate from the trace")
    func replayStory() throws {
        let scenario = try PainPointScenarios.shipped("visibility-timeout-duplicate.yaml")
        let replay = try Replay(base: scenario, seed: 3, swarm: true, task: nil)
        #expect(replay.breaches.map(\.invariant) == [.duplicateNotAllowed])
        let story = try #require(replay.stories.first)
        #expect(story.taskID == "t1")
        let text = story.lines.joined(separator: "\n")
        #expect(text.contains("published to queue celery"))
        #expect(text.contains("held for its eta 02:01:00.000"))
        #expect(text.contains("restored to the queue by the visibility sweep"))
        #expect(story.lines.last?.hasPrefix("ran 2 times") == true, "\(story.lines)")
        let traced = replay.text(file: "x.yaml", withTrace: true)
        #expect(traced.contains("{\"t\":"))
    }

    @Test("replay names what is wrong with its input")
    func replayErrors() throws {
        let fixed = try PainPointScenarios.shipped("visibility-timeout-fixed.yaml")
        #expect(throws: ReplayError.self) { try Replay(base: fixed, seed: 1, swarm: true, task: nil) }
        do {
            _ = try Replay(base: fixed, seed: 1, swarm: false, task: "t9999")
            Issue.record("accepted an unknown task")
        } catch let error as ReplayError {
            #expect(error.description.contains("t9999 does not appear"))
        }
        let story = try Replay(base: fixed, seed: 1, swarm: false, task: "t2")
        #expect(story.breaches.isEmpty)
        #expect(story.stories.first?.lines.last?.hasPrefix("ran once") == true)
    }

    @Test("shrink brings the visibility-timeout duplicate down to at most 3 tasks and 2 workers")
    func shrinkVisibilityDuplicate() throws {
        let path = PainPointScenarios.folder.appendingPathComponent("visibility-timeout-duplicate.yaml").path
        let yaml = try String(contentsOfFile: path, encoding: .utf8)
        let outcome = try Shrinker(file: path, seed: 1).shrink(yaml: yaml, swarm: true, invariant: nil)
        #expect(outcome.invariant == .duplicateNotAllowed)
        #expect(outcome.after.tasks <= 3)
        #expect(outcome.after.workers <= 2)
        #expect(!outcome.steps.isEmpty)
        // The written scenario loads, carries the seed, and still breaks the invariant by itself.
        let shrunk = try ScenarioLoader.parse(yaml: outcome.yaml, sourcePath: "shrunk.yaml")
        #expect(shrunk.seed == 1)
        let again = try Explorer.check(shrunk, seed: shrunk.seed, swarm: false)
        #expect(again.breaches.contains { $0.invariant == .duplicateNotAllowed })
    }

    @Test("shrink refuses a seed that breaks nothing")
    func shrinkRefuses() throws {
        let path = PainPointScenarios.folder.appendingPathComponent("visibility-timeout-fixed.yaml").path
        let yaml = try String(contentsOfFile: path, encoding: .utf8)
        #expect(throws: ReplayError.self) { try Shrinker(file: path, seed: 1).shrink(yaml: yaml, swarm: true, invariant: nil) }
    }

    @Test("trace lines parse back exactly")
    func traceRecordRoundTrip() throws {
        let line = #"{"t":7260.000280,"ev":"deliver","task":"t1","worker":"worker-2","tag":"d1","redelivered":"1"}"#
        let record = try #require(TraceRecord(line: Substring(line)))
        #expect(record.microseconds == 7_260_000_280)
        #expect(record["worker"] == "worker-2")
        #expect(record.line == line)
        #expect(TraceRecord(line: "not json") == nil)
        #expect(StoryTime.format(microseconds: 7_260_000_280) == "02:01:00.000")
    }
}

@Suite("stories of loops and lost tasks")
struct StoryShapeTests {
    @Test("a redelivery loop's story names the crash and keeps its beginning and end")
    func redeliveryLoop() throws {
        let scenario = try PainPointScenarios.parse(PainPointScenarios.rejectOnWorkerLost(true), "loop")
        let replay = try Replay(base: scenario, seed: 1, swarm: false, task: nil)
        #expect(replay.breaches.map(\.invariant) == [.liveness])
        let story = try #require(replay.stories.first)
        #expect(story.lines.contains { $0.contains("the child process running it on worker-1 died") })
        #expect(story.lines.contains { $0.contains("rejected by worker-1 and requeued") })
        #expect(story.lines.contains { $0.hasPrefix("... ") && $0.contains("more lines like these") })
        #expect(story.lines.count <= TaskStory.linesKept + 3)
    }
}
