import Testing
import WorkerCore
@testable import Scenarios

/// One malformed scenario and where and how the loader must point at the problem.
struct BadInput: Sendable, CustomTestStringConvertible {
    var label: String
    var yaml: String
    /// The 1-based line of the first error.
    var line: Int
    /// Its key path ("" for the document itself).
    var keyPath: String
    /// Phrases its message must contain.
    var phrases: [String]

    init(_ label: String, line: Int, path: String, _ phrases: String..., yaml: String) {
        self.label = label
        self.yaml = yaml
        self.line = line
        self.keyPath = path
        self.phrases = phrases
    }

    var testDescription: String { label }
}

/// A valid scenario of 11 lines that the cases below vary.
let validBase = """
name: t
duration: 10m
fleet:
  - name: w
    concurrency: 2
tasks:
  - name: a
    duration: 10ms
load:
  phases:
    - {duration: 1m, rate: 10/s}
"""

/// `validBase` with line `number` (1-based) replaced by `text` (which may hold several lines).
func base(replacing number: Int, with text: String) -> String {
    var lines = validBase.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines[number - 1] = text
    return lines.joined(separator: "\n")
}

/// `validBase` followed by more lines (starting at line 12).
func base(appending text: String) -> String { validBase + "\n" + text }

let badInputs: [BadInput] = [
    // Unknown keys.
    BadInput("unknown top-level key", line: 12, path: "colour", #"unknown key "colour""#, "allowed keys: name, description, seed",
             yaml: base(appending: "colour: blue")),
    BadInput("unknown key in a worker group", line: 5, path: "fleet[0].concurency", #"unknown key "concurency""#,
             "concurrency, autoscale", yaml: base(replacing: 5, with: "    concurency: 2")),
    BadInput("unknown key in a nested retry block", line: 9, path: "tasks[0].retry.max_retry",
             #"unknown key "max_retry""#, "max_retries", yaml: base(replacing: 8, with: "    duration: 10ms\n    retry: {max_retry: 3}")),
    BadInput("unknown key in a phase", line: 11, path: "load.phases[0].rat", #"unknown key "rat""#,
             yaml: base(replacing: 11, with: "    - {duration: 1m, rat: 10/s}")),
    // Missing keys.
    BadInput("missing name", line: 1, path: "name", #"missing required key "name""#,
             yaml: base(replacing: 1, with: "seed: 3")),
    BadInput("missing tasks", line: 1, path: "tasks", #"missing required key "tasks""#,
             yaml: base(replacing: 6, with: "").replacingLines(7...8, with: "")),
    BadInput("missing phases", line: 10, path: "load.phases", #"missing required key "phases""#,
             yaml: base(replacing: 10, with: "  arrival: even").replacingLines(11...11, with: "")),
    BadInput("null duration", line: 2, path: "duration", "expected how long load is generated", "found nothing",
             yaml: base(replacing: 2, with: "duration:")),
    // Wrong types.
    BadInput("concurrency not a number", line: 5, path: "fleet[0].concurrency", #"expected a positive integer, found "lots""#,
             yaml: base(replacing: 5, with: "    concurrency: lots")),
    BadInput("fleet is a mapping", line: 4, path: "fleet", "expected a list of worker groups, found a mapping",
             yaml: base(replacing: 4, with: "  name: w").replacingLines(5...5, with: "  concurrency: 2")),
    BadInput("boolean written as a word", line: 6, path: "fleet[0].acks_late", #"expected true or false, found "maybe""#,
             yaml: base(replacing: 5, with: "    concurrency: 2\n    acks_late: maybe")),
    BadInput("name is a list", line: 1, path: "name", "expected a string, found a list",
             yaml: base(replacing: 1, with: "name: [a, b]")),
    BadInput("queues is a string", line: 6, path: "fleet[0].queues", "expected a list of queue names", #"found "dataset""#,
             yaml: base(replacing: 5, with: "    concurrency: 2\n    queues: dataset")),
    // Durations, sizes, rates.
    BadInput("negative countdown", line: 9, path: "tasks[0].countdown", "expected a non-negative duration", #"found "-5s""#,
             yaml: base(replacing: 8, with: "    duration: 10ms\n    countdown: -5s")),
    BadInput("negative bare drain", line: 3, path: "drain", "expected a non-negative duration, found -3",
             yaml: base(replacing: 2, with: "duration: 10m\ndrain: -3")),
    BadInput("bad duration unit", line: 8, path: "tasks[0].duration", "expected a duration like 250ms", #"found "10 parsecs""#,
             yaml: base(replacing: 8, with: "    duration: 10 parsecs")),
    BadInput("overflowing duration", line: 2, path: "duration", "positive duration", #"found "1e400s""#,
             yaml: base(replacing: 2, with: "duration: 1e400s")),
    BadInput("zero duration", line: 2, path: "duration", "expected a positive duration", #"found "0s""#,
             yaml: base(replacing: 2, with: "duration: 0s")),
    BadInput("bad size unit", line: 9, path: "tasks[0].result_size", "expected a size like 64MiB", #"found "5 furlongs""#,
             yaml: base(replacing: 8, with: "    duration: 10ms\n    result_size: 5 furlongs")),
    BadInput("memory limit below 1MiB", line: 6, path: "fleet[0].max_memory_per_child", "100B, under 1MiB",
             "did you mean 100MiB?", yaml: base(replacing: 5, with: "    concurrency: 2\n    max_memory_per_child: 100B")),
    // Values most likely written in another unit.
    BadInput("bare child_handoff is seconds", line: 6, path: "fleet[0].child_handoff", "300 is read as 300 s; did you mean 300us?",
             yaml: base(replacing: 5, with: "    concurrency: 2\n    child_handoff: 300")),
    BadInput("bare fractional task_overhead", line: 6, path: "fleet[0].task_overhead", "0.00015 is read as 0.00015 s",
             "write it with its unit: 150µs", yaml: base(replacing: 5, with: "    concurrency: 2\n    task_overhead: 0.00015")),
    BadInput("bare child_startup", line: 6, path: "fleet[0].child_startup", "did you mean 500ms?",
             yaml: base(replacing: 5, with: "    concurrency: 2\n    child_startup: 500")),
    BadInput("bare worker_boot inside a distribution", line: 6, path: "fleet[0].worker_boot.uniform.min", "did you mean 60ms?",
             yaml: base(replacing: 5, with: "    concurrency: 2\n    worker_boot: {uniform: {min: 60, max: 240ms}}")),
    BadInput("bare broker latency", line: 12, path: "broker.latency", "did you mean 50us?",
             yaml: base(appending: "broker: {latency: 50}")),
    BadInput("bare idle_wake time constant", line: 12, path: "broker.idle_wake.time_constant", "did you mean 7ms?",
             yaml: base(appending: "broker: {idle_wake: {max: 450us, time_constant: 7}}")),
    BadInput("bare host cpu_per_task", line: 12, path: "host.cpu_per_task", "did you mean 700us?",
             yaml: base(appending: "host: {cores: 2, cpu_per_task: 700}")),
    BadInput("bare memory_write per_mib", line: 12, path: "host.memory_write.per_mib", "did you mean 600us?",
             yaml: base(appending: "host: {cores: 2, cpu_per_task: 700us, memory_write: {per_mib: 600}}")),
    BadInput("bare broker_latency fault", line: 13, path: "faults[0].broker_latency", "did you mean 20ms?",
             yaml: base(appending: "faults:\n  - {from: 10s, to: 20s, broker_latency: 20}")),
    BadInput("bare max_memory_per_child is KiB: 200 is too small", line: 6, path: "fleet[0].max_memory_per_child",
             "200 is read as 200 KiB, under 1MiB", "did you mean 200MiB?", "a bare number here is KiB",
             yaml: base(replacing: 5, with: "    concurrency: 2\n    max_memory_per_child: 200")),
    BadInput("bare max_memory_per_child in bytes is too large as KiB", line: 6, path: "fleet[0].max_memory_per_child",
             "2147483648 is read as 2147483648 KiB, over 1TiB", "did you mean 2147483648B (bytes)?",
             yaml: base(replacing: 5, with: "    concurrency: 2\n    max_memory_per_child: 2147483648")),
    BadInput("bare memory_limit is bytes", line: 6, path: "fleet[0].memory_limit", "768 is read as 768 B, under 1MiB",
             "did you mean 768MiB?", yaml: base(replacing: 5, with: "    concurrency: 2\n    memory_limit: 768")),
    BadInput("memory_limit over 1TiB", line: 6, path: "fleet[0].memory_limit", "2TiB, over 1TiB",
             yaml: base(replacing: 5, with: "    concurrency: 2\n    memory_limit: 2TiB")),
    // Did you mean.
    BadInput("misspelt group key gets the nearest key", line: 5, path: "fleet[0].concurency",
             #"unknown key "concurency" (did you mean "concurrency"?)"#, yaml: base(replacing: 5, with: "    concurency: 2")),
    BadInput("misspelt top-level key", line: 12, path: "assertion", #"(did you mean "assertions"?)"#,
             yaml: base(appending: "assertion: [lost == 0]")),
    BadInput("misspelt task in the mix", line: 12, path: "load.mix.b", #"unknown task "b" (did you mean "a"?)"#,
             yaml: base(appending: "  mix: {b: 1}")),
    BadInput("misspelt choice", line: 12, path: "broker.queue_order_strategy", #"(did you mean "priority"?)"#,
             yaml: base(appending: "broker: {queue_order_strategy: prority}")),
    BadInput("bad rate", line: 11, path: "load.phases[0].rate", "expected a positive rate like 100/s", #"found "fast""#,
             yaml: base(replacing: 11, with: "    - {duration: 1m, rate: fast}")),
    BadInput("zero rate", line: 11, path: "load.phases[0].rate", "positive rate", #"found "0/s""#,
             yaml: base(replacing: 11, with: "    - {duration: 1m, rate: 0/s}")),
    BadInput("bad rate limit", line: 9, path: "tasks[0].rate_limit", "expected a rate limit like 10/s", #"found "10/x""#,
             yaml: base(replacing: 8, with: "    duration: 10ms\n    rate_limit: 10/x")),
    // Ranges.
    BadInput("probability above 1", line: 9, path: "tasks[0].failure.probability",
             "expected a probability from 0 to 1, found 1.5",
             yaml: base(replacing: 8, with: "    duration: 10ms\n    failure: {probability: 1.5}")),
    BadInput("probabilities add up past 1", line: 10, path: "tasks[0].crash", "adding up to at most 1", "found a total of 1.1",
             yaml: base(replacing: 8, with: "    failure: {probability: 0.6}\n    hang: 0.3\n    crash: 0.2")),
    BadInput("autoscale min above max", line: 5, path: "fleet[0].autoscale.min", "no larger than max (2)", "found 4",
             yaml: base(replacing: 5, with: "    autoscale: {max: 2, min: 4}")),
    BadInput("concurrency and autoscale together", line: 6, path: "fleet[0].autoscale", "concurrency and autoscale are both given",
             yaml: base(replacing: 5, with: "    concurrency: 2\n    autoscale: {max: 4}")),
    BadInput("concurrency zero", line: 5, path: "fleet[0].concurrency", "expected a positive integer, found 0",
             yaml: base(replacing: 5, with: "    concurrency: 0")),
    BadInput("negative prefetch multiplier", line: 6, path: "fleet[0].prefetch_multiplier",
             "expected a non-negative integer", "found -1",
             yaml: base(replacing: 5, with: "    concurrency: 2\n    prefetch_multiplier: -1")),
    BadInput("priority above 9", line: 9, path: "tasks[0].priority", "expected a priority from 0 to 9, found 10",
             yaml: base(replacing: 8, with: "    duration: 10ms\n    priority: 10")),
    BadInput("soft time limit not below hard", line: 7, path: "fleet[0].soft_time_limit", "below time_limit (1m)",
             yaml: base(replacing: 5, with: "    concurrency: 2\n    time_limit: 1m\n    soft_time_limit: 60s")),
    BadInput("lognormal p99 not above median", line: 8, path: "tasks[0].duration.lognormal.p99",
             "a p99 longer than the median (200ms)",
             yaml: base(replacing: 8, with: "    duration: {lognormal: {median: 200ms, p99: 100ms}}")),
    BadInput("two duration distributions", line: 8, path: "tasks[0].duration.uniform", "exactly one distribution",
             yaml: base(replacing: 8, with: "    duration: {exponential: {mean: 1s}, uniform: {min: 1s, max: 2s}}")),
    BadInput("uniform min above max", line: 8, path: "tasks[0].duration.uniform.max", "no shorter than min",
             yaml: base(replacing: 8, with: "    duration: {uniform: {min: 2s, max: 1s}}")),
    BadInput("max_retries negative", line: 9, path: "tasks[0].retry.max_retries", "non-negative integer or null",
             yaml: base(replacing: 8, with: "    duration: 10ms\n    retry: {max_retries: -1}")),
    BadInput("backoff zero", line: 9, path: "tasks[0].retry.backoff", "true, false or a positive integer", "found 0",
             yaml: base(replacing: 8, with: "    duration: 10ms\n    retry: {backoff: 0}")),
    BadInput("seed negative", line: 2, path: "seed", "non-negative integer", "found -4",
             yaml: base(replacing: 1, with: "name: t\nseed: -4")),
    // Broker.
    BadInput("priority steps not from 0", line: 13, path: "broker.priority_steps[0]", "starting at 0", "found 1",
             yaml: base(appending: "broker:\n  priority_steps: [1, 5, 9]")),
    BadInput("priority steps not increasing", line: 13, path: "broker.priority_steps[2]", "strictly increasing", "found 3",
             yaml: base(appending: "broker:\n  priority_steps: [0, 5, 3]")),
    BadInput("unknown queue order strategy", line: 13, path: "broker.queue_order_strategy",
             "one of round_robin, priority, sorted", #"found "random""#,
             yaml: base(appending: "broker:\n  queue_order_strategy: random")),
    // Load.
    BadInput("empty phases", line: 10, path: "load.phases", "at least one load phase", "found an empty list",
             yaml: base(replacing: 10, with: "  phases: []").replacingLines(11...11, with: "")),
    BadInput("phases longer than the duration", line: 12, path: "load.phases[1].duration",
             "fit in the scenario's duration (10m)", "adding up to 12m",
             yaml: base(replacing: 11, with: "    - {duration: 6m, rate: 10/s}\n    - {duration: 6m, rate: 10/s}")),
    BadInput("phase with rate and ramp", line: 11, path: "load.phases[0].ramp", "rate and ramp are both given",
             yaml: base(replacing: 11, with: "    - {duration: 1m, rate: 1/s, ramp: {from: 1/s, to: 2/s}}")),
    BadInput("unknown task in mix", line: 13, path: "load.mix.b", #"unknown task "b""#, "declared in tasks (a)",
             yaml: base(appending: "  mix:\n    b: 1")),
    BadInput("mix weight zero", line: 13, path: "load.mix.a", "expected a positive weight, found 0",
             yaml: base(appending: "  mix:\n    a: 0")),
    BadInput("mix missing with two tasks", line: 11, path: "load.mix", #"missing required key "mix""#,
             yaml: base(replacing: 8, with: "    duration: 10ms\n  - name: b")),
    BadInput("unknown task in a burst", line: 13, path: "load.bursts[0].task", #"unknown task "nope""#,
             yaml: base(appending: "  bursts:\n    - {at: 1m, count: 5, task: nope}")),
    BadInput("burst after the load", line: 13, path: "load.bursts[0].at", "within the load's duration (10m)", #"found "11m""#,
             yaml: base(appending: "  bursts:\n    - {at: 11m, count: 5}")),
    // Faults.
    BadInput("unknown worker in a fault", line: 13, path: "faults[0].kill_worker", #"unknown worker "w-3""#, "(w-1)",
             yaml: base(appending: "faults:\n  - {at: 3m, kill_worker: w-3}")),
    BadInput("window ends before it starts", line: 13, path: "faults[0].to", "an end after from (5m)", #"found "4m""#,
             yaml: base(appending: "faults:\n  - {from: 5m, to: 4m, broker_outage: true}")),
    BadInput("instant fault with a window", line: 13, path: "faults[0].from", "happens at an instant",
             yaml: base(appending: "faults:\n  - {from: 1m, at: 3m, kill_worker: w-1}")),
    BadInput("window fault at an instant", line: 13, path: "faults[0].at", "lasts a while",
             yaml: base(appending: "faults:\n  - {at: 3m, broker_latency: 50ms}")),
    BadInput("two fault kinds", line: 13, path: "faults[0].broker_latency", "exactly one fault kind",
             yaml: base(appending: "faults:\n  - {from: 1m, to: 2m, broker_outage: true, broker_latency: 50ms}")),
    BadInput("fault without a kind", line: 13, path: "faults[0]", "missing the fault kind",
             yaml: base(appending: "faults:\n  - {at: 1m}")),
    BadInput("slow tasks for an unknown task", line: 13, path: "faults[0].slow_tasks.task", #"unknown task "mail.*""#,
             yaml: base(appending: "faults:\n  - {from: 1m, to: 2m, slow_tasks: {factor: 2, task: \"mail.*\"}}")),
    BadInput("memory pressure on no worker", line: 13, path: "faults[0].memory_pressure.worker", #"unknown worker "big-*""#,
             yaml: base(appending: "faults:\n  - {from: 1m, to: 2m, memory_pressure: {extra: 1GiB, worker: \"big-*\"}}")),
    BadInput("broker outage false", line: 13, path: "faults[0].broker_outage", "expected true, found false",
             yaml: base(appending: "faults:\n  - {from: 1m, to: 2m, broker_outage: false}")),
    // Duplicates.
    BadInput("duplicate task names", line: 9, path: "tasks[1].name", "a unique task name", "already used by the task at line 7",
             yaml: base(replacing: 8, with: "    duration: 10ms\n  - name: a")),
    BadInput("duplicate worker group names", line: 6, path: "fleet[1].name", "a unique worker group name", "line 4",
             yaml: base(replacing: 5, with: "    concurrency: 2\n  - name: w")),
    BadInput("duplicate YAML key", line: 12, path: "", #"duplicate key "name""#, "first written at line 1",
             yaml: base(appending: "name: again")),
    BadInput("duplicate YAML key in a nested block", line: 6, path: "", #"duplicate key "concurrency""#, "line 5",
             yaml: base(replacing: 5, with: "    concurrency: 2\n    concurrency: 3")),
    BadInput("duplicate YAML key in a flow mapping", line: 11, path: "", #"duplicate key "rate""#,
             yaml: base(replacing: 11, with: "    - {duration: 1m, rate: 10/s, rate: 5/s}")),
    // Assertions.
    BadInput("assertion on an unknown metric", line: 13, path: "assertions[0]", #"unknown metric "queue_wait.p95""#,
             "queue_wait.p99", yaml: base(appending: "assertions:\n  - queue_wait.p95 < 3s")),
    BadInput("assertion on a misspelt metric", line: 13, path: "assertions[0]", #"unknown metric "queue_wiat.p99" (did you mean "queue_wait.p99"?)"#,
             yaml: base(appending: "assertions:\n  - queue_wiat.p99 < 3s")),
    BadInput("assertion with a bad operator", line: 14, path: "assertions[1]", "a comparison (<=, >=, ==, !=, <, >)",
             #"found "=""#, yaml: base(appending: "assertions:\n  - lost == 0\n  - lost = 0")),
    BadInput("assertion with a value of the wrong kind", line: 13, path: "assertions[0]",
             "a duration like 30s", #"found "soon""#, yaml: base(appending: "assertions:\n  - queue_wait.p99 < soon")),
    BadInput("assertion that is not a string", line: 13, path: "assertions[0]", "expected an assertion", "found a mapping",
             yaml: base(appending: "assertions:\n  - {lost: 0}")),
    // The document itself.
    BadInput("document is a list", line: 1, path: "", "at the top of the file, found a list", yaml: "- a\n- b\n"),
    BadInput("document is a scalar", line: 1, path: "", #"found "just some text""#, yaml: "just some text\n"),
    BadInput("tab indentation", line: 2, path: "", "invalid YAML", "tab character", yaml: "name: t\n\tduration: 10m\n"),
    BadInput("unclosed flow sequence", line: 2, path: "", "invalid YAML", yaml: "name: [a, b\nduration: 10m\n"),
    BadInput("empty file", line: 1, path: "", "empty document", yaml: ""),
    BadInput("only comments", line: 1, path: "", "empty document", yaml: "# nothing here\n\n# at all\n"),
]

extension String {
    /// Replaces lines `range` (1-based) with `text`, or removes them when `text` is empty.
    func replacingLines(_ range: ClosedRange<Int>, with text: String) -> String {
        var lines = split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.replaceSubrange((range.lowerBound - 1)...(range.upperBound - 1), with: text.isEmpty ? [] : [text])
        return lines.joined(separator: "\n")
    }
}

struct BadInputTests {
    @Test func enoughCases() {
        #expect(badInputs.count >= 30)
        #expect(Set(badInputs.map(\.label)).count == badInputs.count)
    }

    @Test(arguments: badInputs)
    func rejects(_ input: BadInput) {
        do {
            let scenario = try ScenarioLoader.parse(yaml: input.yaml, sourcePath: "bad.yaml")
            Issue.record("accepted: \(scenario.name)")
        } catch {
            #expect(error.file == "bad.yaml")
            #expect(error.line == input.line, "\(error)")
            #expect(error.column != nil)
            #expect(error.keyPath == input.keyPath, "\(error)")
            for phrase in input.phrases {
                #expect(error.headline.contains(phrase), "missing \(phrase) in: \(error.headline)")
            }
            let prefix = "bad.yaml:\(input.line):\(error.column ?? 0): " + (input.keyPath.isEmpty ? "" : input.keyPath + ": ")
            #expect(error.headline.hasPrefix(prefix), "\(error.headline)")
        }
    }

    @Test func validBaseIsValid() throws {
        let scenario = try ScenarioLoader.parse(yaml: validBase, sourcePath: "base.yaml")
        #expect(scenario.tasks.map(\.name) == ["a"])
    }
}
