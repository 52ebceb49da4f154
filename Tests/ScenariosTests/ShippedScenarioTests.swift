import Foundation
import Testing
import WorkerCore
@testable import Scenarios

/// The repository's `scenarios/` folder: walk up from this file to the directory holding Package.swift.
func repositoryScenarioFiles(filePath: String = #filePath) -> (folder: String, files: [String]) {
    var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
    while directory.path != "/" {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { break }
        directory = directory.deletingLastPathComponent()
    }
    let folder = directory.appendingPathComponent("scenarios")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        .map { folder.appendingPathComponent($0).path }
    return (folder.path, files)
}

struct ShippedScenarioTests {
    @Test func folderIsNotEmpty() {
        let (folder, files) = repositoryScenarioFiles()
        #expect(!files.isEmpty, "no scenario files in \(folder)")
    }

    @Test(arguments: repositoryScenarioFiles().files)
    func loads(path: String) throws {
        do {
            let scenario = try ScenarioLoader.load(path: path)
            #expect(!scenario.name.isEmpty)
            #expect(!scenario.description.isEmpty, "every shipped scenario says what it shows")
            #expect(!scenario.load.phases.isEmpty)
            #expect(!scenario.load.mix.isEmpty)
            #expect(scenario.sourcePath == path)
            // The file name matches the scenario name.
            #expect(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent == scenario.name)
            // A comment header explains the Celery behaviour.
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("#"))
        } catch let error as ScenarioError {
            Issue.record("\(error)")
        }
    }

    /// Expected tasks published by the steady load, the bursts included.
    static func expectedTasks(_ scenario: Scenario) -> Double {
        let steady = scenario.load.phases.reduce(0.0) { $0 + ($1.rateFrom + $1.rateTo) / 2 * $1.duration.seconds }
        return steady + Double(scenario.load.bursts.reduce(0) { $0 + $1.count })
    }

    @Test(arguments: repositoryScenarioFiles().files)
    func staysCheap(path: String) throws {
        let scenario = try ScenarioLoader.load(path: path)
        if scenario.name.hasPrefix("benchmark") { return }
        #expect(Self.expectedTasks(scenario) < 1_000_000, "\(scenario.name): \(Self.expectedTasks(scenario)) tasks")
    }

    @Test func difyDefault() throws {
        let path = repositoryScenarioFiles().folder + "/dify-default.yaml"
        let scenario = try ScenarioLoader.load(path: path)
        #expect(scenario.duration == minutes(10))
        let group = try #require(scenario.fleet.first)
        #expect(scenario.fleet.count == 1)
        #expect(group.count == 2)
        #expect(group.autoscale == AutoscaleSettings(maxConcurrency: 8, minConcurrency: 2, keepalive: sec(30)))
        #expect(group.prefetchMultiplier == 1)
        #expect(group.taskDefaults.acksLate)
        #expect(group.taskDefaults.timeLimit == hours(1))
        #expect(group.queues.contains("dataset") && group.queues.contains("mail") && group.queues.contains("app_deletion"))
        let indexing = try #require(scenario.tasks.first)
        let retry = try #require(indexing.options.retry)
        #expect(retry.backoffFactor == 60)
        #expect(retry.backoffMax == hours(1))
        if case .logNormal = indexing.body.duration {} else { Issue.record("expected a lognormal duration") }
        #expect(scenario.assertions.map(\.text) == ["lost == 0", "queue_wait.p99 < 30s"])
        // Every task routes to a queue the fleet consumes.
        for task in scenario.tasks {
            let queue = task.queue ?? scenario.routes.first { Glob.matches(pattern: $0.pattern, task.name) }?.queue ?? "celery"
            #expect(group.queues.contains(queue), "\(task.name) -> \(queue)")
        }
    }

    @Test func benchmark() throws {
        let scenario = try ScenarioLoader.load(path: repositoryScenarioFiles().folder + "/benchmark-1h-1000rps.yaml")
        #expect(scenario.duration == hours(1))
        #expect(scenario.load.arrival == .poisson)
        #expect(scenario.load.phases == [LoadPhase(duration: hours(1), rateFrom: 1000, rateTo: 1000)])
        #expect(scenario.tasks.count == 1)
        #expect(scenario.tasks[0].body.duration == .exponential(mean: ms(20)))
        #expect(scenario.fleet.map(\.count) == [4])
        #expect(scenario.fleet[0].concurrency == 8)
        #expect(scenario.fleet[0].prefetchMultiplier == 4)
        #expect(scenario.faults.isEmpty)
        #expect(scenario.assertions.map(\.text) == ["lost == 0"])
    }

    @Test func visibilityTimeoutPair() throws {
        let folder = repositoryScenarioFiles().folder
        let duplicate = try ScenarioLoader.load(path: folder + "/visibility-timeout-duplicate.yaml")
        let fixed = try ScenarioLoader.load(path: folder + "/visibility-timeout-fixed.yaml")
        #expect(duplicate.broker.visibilityTimeout == hours(1))
        #expect(fixed.broker.visibilityTimeout == hours(3))
        #expect(duplicate.tasks == fixed.tasks)
        #expect(duplicate.load == fixed.load)
        #expect(duplicate.tasks[0].countdown == hours(2))
        #expect(fixed.assertions.contains { $0.text == "duplicates == 0" })
        #expect(duplicate.assertions.contains { $0.metric == "duplicates" && $0.comparison == .greater })
    }

    @Test func workerKilled() throws {
        let scenario = try ScenarioLoader.load(path: repositoryScenarioFiles().folder + "/worker-killed-acks-late.yaml")
        #expect(scenario.broker.visibilityTimeout == minutes(5))
        #expect(scenario.fleet[0].taskDefaults.acksLate)
        #expect(scenario.faults == [FaultSpec(start: minutes(3), end: nil, kind: .killWorker("worker-1")),
                                    FaultSpec(start: minutes(6), end: nil, kind: .restartWorker("worker-1"))])
    }
}
