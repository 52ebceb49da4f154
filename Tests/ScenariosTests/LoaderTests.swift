import Foundation
import Testing
import WorkerCore
@testable import Scenarios

/// The schema's own example, every key used.
let fullSample = """
name: dify-steady            # required
description: Dify's worker defaults under steady load
seed: 42
duration: 10m
drain: 5m
broker:
  visibility_timeout: 2h
  priority_steps: [0, 5, 9]
  queue_order_strategy: priority
  latency: 2ms
  result_expires: 1d
fleet:
  - name: worker
    count: 2
    autoscale: {max: 8, min: 2, keepalive: 45s}
    prefetch_multiplier: 1
    queues: [dify, celery]
    acks_late: true
    reject_on_worker_lost: true
    acks_on_failure_or_timeout: false
    track_started: true
    time_limit: 1h
    soft_time_limit: 50m
    max_tasks_per_child: 50
    max_memory_per_child: 200MiB
    child_memory: 80MiB
    child_startup: 1.5s
  - name: big
    count: 3
    concurrency: 4
tasks:
  - name: dataset.index
    queue: dataset
    priority: 5
    countdown: 0s
    expires: 1h
    acks_late: false
    reject_on_worker_lost: true
    acks_on_failure_or_timeout: false
    track_started: true
    ignore_result: true
    time_limit: 2m
    soft_time_limit: 90s
    rate_limit: 10/s
    retry:
      max_retries: 3
      default_retry_delay: 3m
      autoretry_for: [ConnectionError]
      dont_autoretry_for: [ValueError]
      backoff: true
      backoff_max: 10m
      jitter: false
    duration: {lognormal: {median: 200ms, p99: 2s}}
    failure: {probability: 0.05, error: ConnectionError}
    hang: {probability: 0.001}
    crash: {probability: 0.002}
    memory: {retained_per_call: 1MiB}
    result_size: 1KiB
  - name: mail.send
    duration: 20ms
    failure: {probability: 0.5}
    retry: {max_retries: null, backoff: 7}
  - name: u
    duration: {uniform: {min: 10ms, max: 50ms}}
  - name: e
    duration: {exponential: {mean: 20ms}}
  - name: emp
    duration: {empirical: [10ms, 12ms, 50ms]}
routes:
  'mail.*': mail
  'dataset.*': dataset
  '*': celery
unconsumed_queues: [dataset, mail]   # consumed by workers outside this fleet
load:
  arrival: even
  phases:
    - {duration: 5m, rate: 100/s}
    - {duration: 4m, ramp: {from: 100/s, to: 30000/m}}
  bursts:
    - {at: 2m, count: 5000, task: dataset.index}
    - {at: 3m, count: 10}
  mix:
    mail.send: 1
    dataset.index: 3
    u: 0.5
faults:
  - {at: 3m, kill_worker: worker-1}
  - {at: 4m, restart_worker: worker-1}
  - {at: 5m, stop_worker: big-3}
  - {from: 5m, to: 6m, broker_outage: true}
  - {from: 5m, to: 6m, broker_latency: 50ms}
  - {from: 5m, to: 6m, slow_tasks: {factor: 10, task: "dataset.*"}}
  - {from: 7m, to: 8m, slow_tasks: {factor: 2.5}}
  - {from: 5m, to: 6m, memory_pressure: {extra: 500MiB, worker: "big-*"}}
  - {from: 5m, to: 6m, memory_pressure: {extra: 1GiB}}
assertions:
  - queue_wait.p99 < 30s
  - lost == 0
  - throughput >= 250/s
  - peak_memory < 2GiB
"""

struct LoaderTests {
    @Test func fullSampleTopLevel() throws {
        let scenario = try ScenarioLoader.parse(yaml: fullSample, sourcePath: "sample.yaml")
        #expect(scenario.name == "dify-steady")
        #expect(scenario.description == "Dify's worker defaults under steady load")
        #expect(scenario.seed == 42)
        #expect(scenario.duration == minutes(10))
        #expect(scenario.drain == minutes(5))
        #expect(scenario.sourcePath == "sample.yaml")
        #expect(scenario.broker.visibilityTimeout == hours(2))
        #expect(scenario.broker.prioritySteps == [0, 5, 9])
        #expect(scenario.broker.queueOrderStrategy == .priority)
        #expect(scenario.broker.latency == ms(2))
        #expect(scenario.broker.resultExpires == hours(24))
    }

    @Test func fullSampleFleet() throws {
        let scenario = try ScenarioLoader.parse(yaml: fullSample, sourcePath: "sample.yaml")
        #expect(scenario.fleet.map(\.name) == ["worker", "big"])
        let worker = scenario.fleet[0]
        #expect(worker.count == 2)
        #expect(worker.autoscale == AutoscaleSettings(maxConcurrency: 8, minConcurrency: 2, keepalive: sec(45)))
        #expect(worker.concurrency == 8)
        #expect(worker.prefetchMultiplier == 1)
        #expect(worker.queues == ["dify", "celery"])
        #expect(worker.taskDefaults.acksLate)
        #expect(worker.taskDefaults.rejectOnWorkerLost)
        #expect(!worker.taskDefaults.acksOnFailureOrTimeout)
        #expect(worker.taskDefaults.trackStarted)
        #expect(!worker.taskDefaults.ignoreResult)
        #expect(worker.taskDefaults.timeLimit == hours(1))
        #expect(worker.taskDefaults.softTimeLimit == minutes(50))
        #expect(worker.maxTasksPerChild == 50)
        #expect(worker.maxMemoryPerChildKiB == 200 * 1024)
        #expect(worker.childBaselineMemoryBytes == 80 << 20)
        #expect(worker.childStartup == ms(1_500))

        let big = scenario.fleet[1]
        #expect(big.count == 3)
        #expect(big.concurrency == 4)
        #expect(big.autoscale == nil)
        #expect(big.prefetchMultiplier == 4)
        #expect(big.queues == ["celery"])
        #expect(big.taskDefaults == TaskOptions())
        #expect(big.maxTasksPerChild == nil)
        #expect(big.maxMemoryPerChildKiB == nil)
        #expect(big.childBaselineMemoryBytes == 64 << 20)
        #expect(big.childStartup == .zero)
    }

    @Test func fullSampleTasks() throws {
        let scenario = try ScenarioLoader.parse(yaml: fullSample, sourcePath: "sample.yaml")
        #expect(scenario.tasks.map(\.name) == ["dataset.index", "mail.send", "u", "e", "emp"])
        let index = scenario.tasks[0]
        #expect(index.queue == "dataset")
        #expect(index.priority == 5)
        #expect(index.countdown == .zero)
        #expect(index.expires == hours(1))
        #expect(index.options.acksLate == false)
        #expect(index.options.rejectOnWorkerLost == true)
        #expect(index.options.acksOnFailureOrTimeout == false)
        #expect(index.options.trackStarted == true)
        #expect(index.options.ignoreResult == true)
        #expect(index.options.timeLimit == minutes(2))
        #expect(index.options.softTimeLimit == sec(90))
        #expect(index.options.rateLimit == RateLimit.parse("10/s"))
        #expect(index.options.rateLimit?.interval == ms(100))
        var retry = RetryPolicy()
        retry.maxRetries = 3
        retry.defaultRetryDelay = minutes(3)
        retry.autoretryFor = ["ConnectionError"]
        retry.dontAutoretryFor = ["ValueError"]
        retry.backoffFactor = 1
        retry.backoffMax = minutes(10)
        retry.jitter = false
        #expect(index.options.retry == retry)
        #expect(index.body.duration == .logNormal(median: ms(200), p99: sec(2)))
        #expect(index.body.failureProbability == 0.05)
        #expect(index.body.failureErrorType == "ConnectionError")
        #expect(index.body.hangProbability == 0.001)
        #expect(index.body.crashProbability == 0.002)
        #expect(index.body.memoryRetainedPerCallBytes == 1 << 20)
        #expect(index.body.resultSizeBytes == 1024)

        let mail = scenario.tasks[1]
        #expect(mail.queue == nil && mail.priority == nil && mail.countdown == nil && mail.expires == nil)
        #expect(mail.options.acksLate == nil && mail.options.timeLimit == nil && mail.options.rateLimit == nil)
        #expect(mail.body.duration == .constant(ms(20)))
        #expect(mail.body.failureProbability == 0.5)
        #expect(mail.body.failureErrorType == "Exception")
        #expect(mail.body.hangProbability == 0 && mail.body.crashProbability == 0)
        #expect(mail.body.memoryRetainedPerCallBytes == 0)
        #expect(mail.body.resultSizeBytes == 64)
        let mailRetry = try #require(mail.options.retry)
        #expect(mailRetry.maxRetries == nil)
        #expect(mailRetry.backoffFactor == 7)
        #expect(mailRetry.defaultRetryDelay == minutes(3))
        #expect(mailRetry.jitter)

        #expect(scenario.tasks[2].body.duration == .uniform(min: ms(10), max: ms(50)))
        #expect(scenario.tasks[3].body.duration == .exponential(mean: ms(20)))
        #expect(scenario.tasks[4].body.duration == .empirical([ms(10), ms(12), ms(50)]))
        #expect(scenario.tasks[4].options == TaskOptionsOverride())
        #expect(scenario.tasks[4].options.retry == nil)
    }

    @Test func fullSampleRoutesLoadFaultsAssertions() throws {
        let scenario = try ScenarioLoader.parse(yaml: fullSample, sourcePath: "sample.yaml")
        // File order, not dictionary order.
        #expect(scenario.routes == [RouteRule(pattern: "mail.*", queue: "mail"),
                                    RouteRule(pattern: "dataset.*", queue: "dataset"),
                                    RouteRule(pattern: "*", queue: "celery")])
        #expect(scenario.load.arrival == .even)
        #expect(scenario.load.phases == [LoadPhase(duration: minutes(5), rateFrom: 100, rateTo: 100),
                                         LoadPhase(duration: minutes(4), rateFrom: 100, rateTo: 500)])
        #expect(scenario.load.bursts == [Burst(at: minutes(2), count: 5000, task: "dataset.index"),
                                         Burst(at: minutes(3), count: 10, task: nil)])
        #expect(scenario.load.mix == [MixEntry(task: "mail.send", weight: 1), MixEntry(task: "dataset.index", weight: 3),
                                      MixEntry(task: "u", weight: 0.5)])
        #expect(scenario.faults == [
            FaultSpec(start: minutes(3), end: nil, kind: .killWorker("worker-1")),
            FaultSpec(start: minutes(4), end: nil, kind: .restartWorker("worker-1")),
            FaultSpec(start: minutes(5), end: nil, kind: .stopWorker("big-3")),
            FaultSpec(start: minutes(5), end: minutes(6), kind: .brokerOutage),
            FaultSpec(start: minutes(5), end: minutes(6), kind: .brokerLatency(ms(50))),
            FaultSpec(start: minutes(5), end: minutes(6), kind: .slowTasks(factor: 10, taskPattern: "dataset.*")),
            FaultSpec(start: minutes(7), end: minutes(8), kind: .slowTasks(factor: 2.5, taskPattern: "*")),
            FaultSpec(start: minutes(5), end: minutes(6), kind: .memoryPressure(bytes: 500 << 20, workerPattern: "big-*")),
            FaultSpec(start: minutes(5), end: minutes(6), kind: .memoryPressure(bytes: 1 << 30, workerPattern: "*")),
        ])
        #expect(scenario.assertions == [
            Assertion(metric: "queue_wait.p99", comparison: .less, threshold: 30_000_000, text: "queue_wait.p99 < 30s"),
            Assertion(metric: "lost", comparison: .equal, threshold: 0, text: "lost == 0"),
            Assertion(metric: "throughput", comparison: .greaterOrEqual, threshold: 250, text: "throughput >= 250/s"),
            Assertion(metric: "peak_memory", comparison: .less, threshold: 2_147_483_648, text: "peak_memory < 2GiB"),
        ])
    }

    @Test func minimalSampleTakesDefaults() throws {
        let yaml = """
        name: minimal
        duration: 90
        fleet:
          - {}
        tasks:
          - name: only
        load:
          phases:
            - duration: 1m
              rate: 5
        """
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "min.yaml")
        #expect(scenario.name == "minimal")
        #expect(scenario.description == "")
        #expect(scenario.seed == 1)
        #expect(scenario.duration == sec(90))
        #expect(scenario.drain == minutes(10))
        #expect(scenario.broker == BrokerSpec())
        #expect(scenario.broker.visibilityTimeout == hours(1))
        #expect(scenario.broker.prioritySteps == [0, 3, 6, 9])
        #expect(scenario.broker.queueOrderStrategy == .roundRobin)
        #expect(scenario.broker.latency == .zero)
        #expect(scenario.broker.resultExpires == hours(24))
        #expect(scenario.fleet == [WorkerGroupSpec()])
        #expect(scenario.fleet[0].name == "worker" && scenario.fleet[0].count == 1)
        #expect(scenario.fleet[0].concurrency == 2 && scenario.fleet[0].prefetchMultiplier == 4)
        #expect(scenario.tasks == [TaskTypeSpec(name: "only")])
        #expect(scenario.tasks[0].body.duration == .constant(ms(10)))
        #expect(scenario.routes.isEmpty)
        #expect(scenario.load.arrival == .poisson)
        #expect(scenario.load.phases == [LoadPhase(duration: minutes(1), rateFrom: 5, rateTo: 5)])
        #expect(scenario.load.bursts.isEmpty)
        #expect(scenario.load.mix == [MixEntry(task: "only", weight: 1)])
        #expect(scenario.faults.isEmpty)
        #expect(scenario.assertions.isEmpty)
    }

    @Test func autoscaleAsCeleryString() throws {
        let yaml = """
        name: a
        duration: 1m
        fleet:
          - {autoscale: "10,3"}
          - {name: other, autoscale: 6}
        tasks: [{name: t}]
        load: {phases: [{duration: 1m, rate: 1/s}]}
        """
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "a.yaml")
        #expect(scenario.fleet[0].autoscale == AutoscaleSettings(maxConcurrency: 10, minConcurrency: 3, keepalive: sec(30)))
        #expect(scenario.fleet[1].autoscale == AutoscaleSettings(maxConcurrency: 6, minConcurrency: 0, keepalive: sec(30)))
    }

    @Test func anchorsAndMergeKeys() throws {
        let yaml = """
        name: anchors
        duration: 1m
        fleet:
          - &base {name: a, concurrency: 3, acks_late: true}
          - <<: *base
            name: b
        tasks:
          - name: t
            retry: &r {max_retries: 7}
          - name: u
            retry: *r
        load:
          phases: [{duration: 1m, rate: 1/s}]
          mix: {t: 1, u: 1}
        """
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "anchors.yaml")
        #expect(scenario.fleet.map(\.name) == ["a", "b"])
        #expect(scenario.fleet[1].concurrency == 3)
        #expect(scenario.fleet[1].taskDefaults.acksLate)
        #expect(scenario.tasks[1].options.retry?.maxRetries == 7)
    }

    @Test func phasesShorterThanDurationAreAllowed() throws {
        let yaml = """
        name: short
        duration: 1h
        fleet: [{}]
        tasks: [{name: t}]
        load: {phases: [{duration: 10m, rate: 1/s}, {duration: 50m, ramp: {from: 0, to: 10/s}}]}
        """
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "short.yaml")
        #expect(scenario.load.phases[1] == LoadPhase(duration: minutes(50), rateFrom: 0, rateTo: 10))
    }

    @Test func missingFile() {
        do {
            _ = try ScenarioLoader.load(path: "scenarios/does-not-exist.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "cannot read scenarios/does-not-exist.yaml: No such file or directory")
            #expect(error.line == nil)
        }
    }

    @Test func loadsFromDiskAndRejectsNonUTF8() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("lovage-scenarios-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.yaml")
        try Data(fullSample.utf8).write(to: good)
        let scenario = try ScenarioLoader.load(path: good.path)
        #expect(scenario.name == "dify-steady")
        #expect(scenario.sourcePath == good.path)

        let bad = directory.appendingPathComponent("latin1.yaml")
        try Data([0x6E, 0x61, 0x6D, 0x65, 0x3A, 0x20, 0xE9, 0x0A]).write(to: bad)
        do {
            _ = try ScenarioLoader.load(path: bad.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "cannot read \(bad.path): the file is not UTF-8 text")
        }
    }

    @Test func directoryIsNotAFile() {
        do {
            _ = try ScenarioLoader.load(path: "/")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("cannot read /: "))
        }
    }

    @Test func errorDescriptionFormat() {
        let yaml = """
        name: t
        duration: 10m
        fleet:
          - name: w
            concurrency: lots
        tasks: [{name: a}]
        load: {phases: [{duration: 1m, rate: 1/s}]}
        """
        do {
            _ = try ScenarioLoader.parse(yaml: yaml, sourcePath: "scenarios/x.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == #"scenarios/x.yaml:5:18: fleet[0].concurrency: expected a positive integer, found "lots""#)
            #expect(error.file == "scenarios/x.yaml")
            #expect(error.line == 5 && error.column == 18)
            #expect(error.keyPath == "fleet[0].concurrency")
            #expect(error.expected == "a positive integer")
            #expect(error.found == #""lots""#)
            #expect(error.additional.isEmpty)
        }
    }

    @Test func severalErrorsAreReportedInFileOrder() {
        let yaml = """
        name: t
        duration: 10m
        fleet:
          - name: w
            concurrency: 0
            prefetch_multiplier: -1
        tasks:
          - name: a
            priority: 12
        load:
          phases: []
        colour: blue
        """
        do {
            _ = try ScenarioLoader.parse(yaml: yaml, sourcePath: "x.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.all.map(\.line) == [5, 6, 9, 11, 12])
            #expect(error.all.map(\.keyPath) == ["fleet[0].concurrency", "fleet[0].prefetch_multiplier", "tasks[0].priority",
                                                 "load.phases", "colour"])
            #expect(error.description.split(separator: "\n").count == 5)
            #expect(error.headline == "x.yaml:5:18: fleet[0].concurrency: expected a positive integer, found 0")
        }
    }
}

struct ErrorCollectionTests {
    @Test func eachProblemIsReportedOnce() {
        let yaml = """
        name: t
        duration: 10m
        fleet:
          - {name: w, colour: red}
          - {name: w, colour: blue}
        tasks: [{name: a}]
        load: {phases: [{duration: 1m, rate: 1/s}]}
        """
        do {
            _ = try ScenarioLoader.parse(yaml: yaml, sourcePath: "x.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.all.map(\.keyPath) == ["fleet[0].colour", "fleet[1].name", "fleet[1].colour"])
        }
    }

    @Test func routesKeepFileOrderAndCheckValues() {
        let yaml = """
        name: t
        duration: 10m
        fleet: [{queues: [celery, q1]}]
        tasks: [{name: a}]
        routes:
          'z.*': q1
          'a.*': [q2]
        load: {phases: [{duration: 1m, rate: 1/s}]}
        """
        do {
            _ = try ScenarioLoader.parse(yaml: yaml, sourcePath: "x.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.headline == #"x.yaml:7:10: routes["a.*"]: expected a queue name, found a list"#)
        }
    }
}
