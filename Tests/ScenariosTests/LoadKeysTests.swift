import Foundation
import Testing
import WorkerCore
@testable import Scenarios

/// A scenario of two tasks (`job`, `mail`), 60 s long, whose `load:` section is `load` (indented
/// under `load:`, so its first line is line 9).
func twoTaskScenario(load: String) -> String {
    """
    name: t
    duration: 60s
    fleet:
      - {name: w, concurrency: 2}
    tasks:
      - {name: job, duration: 10ms}
      - {name: mail, duration: 10ms}
    load:
    \(load)
    """
}

/// A folder in the temporary directory holding `trace.csv` and the scenario, removed by `remove()`.
struct TraceFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-trace-\(UUID().uuidString)")
    var scenarioPath: String { url.appendingPathComponent("s.yaml").path }
    var tracePath: String { url.appendingPathComponent("trace.csv").path }

    /// Writes the two files and loads the scenario from its path (so the trace resolves beside it).
    func load(csv: String?, yaml: String) throws(ScenarioError) -> Scenario {
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try? yaml.write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        if let csv { try? csv.write(toFile: tracePath, atomically: true, encoding: .utf8) }
        return try ScenarioLoader.load(path: scenarioPath)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

let traceLoad = "  trace: trace.csv"

@Suite("Load keys: phase mixes, traces, load_factor")
struct LoadKeysTests {
    func set(_ texts: String...) throws -> [ScenarioOverride] { try texts.map { try ScenarioOverride(parsing: $0) } }

    @Test("each phase may carry its own mix; with one on every phase the load's mix is not required")
    func phaseMixes() throws {
        let yaml = twoTaskScenario(load: """
              phases:
                - {duration: 30s, rate: 5/s, mix: {job: 3, mail: 1}}
                - {duration: 30s, rate: 5/s, mix: {mail: 1}}
            """)
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "t.yaml")
        #expect(scenario.load.mix.isEmpty)
        #expect(scenario.load.phases[0].mix == [MixEntry(task: "job", weight: 3), MixEntry(task: "mail", weight: 1)])
        #expect(scenario.load.phases[1].mix == [MixEntry(task: "mail", weight: 1)])
        #expect(scenario.load.publishedTaskNames == ["job", "mail"])
    }

    @Test("a phase's mix is checked as the load's; without one on every phase the load's mix is required")
    func phaseMixErrors() {
        func expectError(_ load: String, line: Int, path: String, _ phrase: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try ScenarioLoader.parse(yaml: twoTaskScenario(load: load), sourcePath: "t.yaml")
                Issue.record("accepted", sourceLocation: sourceLocation)
            } catch {
                #expect(error.line == line && error.keyPath == path && error.headline.contains(phrase), "\(error)",
                        sourceLocation: sourceLocation)
            }
        }
        expectError("  phases:\n    - {duration: 30s, rate: 5/s, mix: {jbo: 1}}", line: 10, path: "load.phases[0].mix.jbo",
                    #"unknown task "jbo" (did you mean "job"?)"#)
        expectError("  phases:\n    - {duration: 30s, rate: 5/s, mix: {job: 0}}", line: 10, path: "load.phases[0].mix.job",
                    "expected a positive weight")
        expectError("  phases:\n    - {duration: 30s, rate: 5/s, mix: {job: 1}}\n    - {duration: 30s, rate: 5/s}", line: 9,
                    path: "load.mix", #"missing required key "mix""#)
    }

    @Test("a trace is read beside the scenario: offsets, tasks, and the path as written")
    func traceLoads() throws {
        let folder = TraceFolder()
        defer { folder.remove() }
        let scenario = try folder.load(csv: "at,task\n0,job\n0.5,mail\r\n0.5, job \n\n12.000001,job\n60,mail\n",
                                       yaml: twoTaskScenario(load: traceLoad + "\n  bursts: [{at: 5s, count: 3, task: mail}]"))
        let trace = try #require(scenario.load.trace)
        #expect(trace.path == "trace.csv")
        #expect(trace.offsets.map(\.microseconds) == [0, 500_000, 500_000, 12_000_001, 60_000_000])
        #expect(trace.taskNames == ["job", "mail"])
        #expect(trace.taskOfRow == [0, 1, 0, 0, 1])
        #expect(scenario.load.phases.isEmpty && scenario.load.mix.isEmpty && scenario.load.bursts.count == 1)
        // Time scaling moves the rows with everything else.
        #expect(scenario.timeScaled(by: 0.5).load.trace?.offsets.map(\.microseconds) == [0, 250_000, 250_000, 6_000_001, 30_000_000])
    }

    /// A broken trace file, and the line of the file and the phrase its message must hold.
    static let badTraces: [(label: String, csv: String, line: Int, phrase: String)] = [
        ("bad header", "time,task\n1,job\n", 1, #"expected the header at,task, found "time,task""#),
        ("empty file", "", 1, "expected the header at,task, found an empty file"),
        ("header only", "at,task\n", 1, "expected at least one row"),
        ("bad number", "at,task\n1,job\nsoon,job\n", 3, #"at: expected a decimal number of seconds >= 0, like 12.5, found "soon""#),
        ("negative time", "at,task\n-1,job\n", 2, #"found "-1""#),
        ("exponent", "at,task\n1e3,job\n", 2, #"found "1e3""#),
        ("three columns", "at,task\n1,job,x\n", 2, "expected two columns (at,task), found 3"),
        ("unknown task", "at,task\n1,job\n2,jbo\n", 3, #"unknown task "jbo" (did you mean "job"?)"#),
        ("rows out of order", "at,task\n1,job\n2.5,job\n2.25,job\n", 4, "rows must be in time order, but 2.25 comes after 2.5"),
        ("beyond the duration", "at,task\n1,job\n61,job\n", 3, "61 s is beyond the scenario's duration (1m)"),
    ]

    @Test("a bad trace is refused at its own file and line", arguments: badTraces.indices)
    func badTrace(_ index: Int) {
        let (label, csv, line, phrase) = Self.badTraces[index]
        let folder = TraceFolder()
        defer { folder.remove() }
        do {
            _ = try folder.load(csv: csv, yaml: twoTaskScenario(load: traceLoad))
            Issue.record("\(label): accepted")
        } catch {
            #expect(error.file == folder.tracePath, "\(label): \(error)")
            #expect(error.line == line, "\(label): \(error)")
            #expect(error.headline.hasPrefix("\(folder.tracePath):\(line):1: load.trace: "), "\(label): \(error)")
            #expect(error.headline.contains(phrase), "\(label): \(error)")
        }
    }

    @Test("a missing trace file is named at the scenario's trace key")
    func missingTrace() {
        let folder = TraceFolder()
        defer { folder.remove() }
        do {
            _ = try folder.load(csv: nil, yaml: twoTaskScenario(load: traceLoad))
            Issue.record("accepted")
        } catch {
            #expect(error.file == folder.scenarioPath && error.line == 9 && error.keyPath == "load.trace", "\(error)")
            #expect(error.headline.contains("cannot read the trace \(folder.tracePath): No such file"), "\(error)")
        }
    }

    @Test("trace excludes phases, mix and arrival, naming both keys; a burst beside it names its task")
    func traceExclusions() {
        let folder = TraceFolder()
        defer { folder.remove() }
        for (extra, path, phrase) in [("  phases: [{duration: 1m, rate: 1/s}]", "load.phases", "trace and phases are both given"),
                                      ("  mix: {job: 1}", "load.mix", "trace and mix are both given"),
                                      ("  arrival: even", "load.arrival", "trace and arrival are both given"),
                                      ("  bursts: [{at: 1s, count: 2}]", "load.bursts[0]", "a burst beside a trace names its task")] {
            do {
                _ = try folder.load(csv: "at,task\n1,job\n", yaml: twoTaskScenario(load: traceLoad + "\n" + extra))
                Issue.record("accepted \(extra)")
            } catch {
                #expect(error.file == folder.scenarioPath && error.line == 10 && error.keyPath == path, "\(error)")
                #expect(error.headline.contains(phrase), "\(error)")
            }
        }
    }

    @Test("load_factor scales phases and bursts (at least one task) and multiplies a trace's factor; rate on a trace points to it")
    func loadFactor() throws {
        let phased = try ScenarioLoader.parse(yaml: twoTaskScenario(load: """
              phases: [{duration: 30s, ramp: {from: 2/s, to: 10/s}}]
              mix: {job: 1}
              bursts: [{at: 1s, count: 1}, {at: 2s, count: 25}]
            """), sourcePath: "t.yaml")
        let doubled = try phased.overriding(set("load_factor=2"))
        #expect(doubled.load.phases[0].rateFrom == 4 && doubled.load.phases[0].rateTo == 20)
        #expect(doubled.load.bursts.map(\.count) == [2, 50])
        let thinned = try phased.overriding(set("load_factor=0.1"))
        #expect(thinned.load.bursts.map(\.count) == [1, 3])
        #expect(try phased.overriding(set("load_factor=1.5", "load_factor=2")).load.traceFactor == 3)

        for bad in ["load_factor=0", "load_factor=-2", "load_factor=lots", "load_factor=inf"] {
            #expect(throws: ScenarioOverrideError.self, "\(bad)") { try ScenarioOverride(parsing: bad) }
        }
        do { _ = try ScenarioOverride(parsing: "load_factor=0") } catch {
            #expect(error.description.contains("expected a factor above 0"), "\(error)")
        }

        let folder = TraceFolder()
        defer { folder.remove() }
        let traced = try folder.load(csv: "at,task\n1,job\n", yaml: twoTaskScenario(load: traceLoad))
        #expect(try traced.overriding(set("load_factor=1.5")).load.traceFactor == 1.5)
        do {
            _ = try traced.overriding(set("rate=40"))
            Issue.record("rate accepted on a trace")
        } catch {
            #expect("\(error)".contains("its load is the trace trace.csv, which has no phases to scale; use load_factor=F"),
                    "\(error)")
        }
        #expect(ScenarioOverride.keys.contains("load_factor"))
    }
}
