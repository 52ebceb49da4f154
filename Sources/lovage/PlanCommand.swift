import ArgumentParser
import Foundation
import Reports
import Scenarios

/// `lovage plan FILE --slo '…' --vary KEY=RANGE`: a capacity-planning sweep in simulation.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Sweep fleet settings in simulation and find the cheapest configuration that meets the SLOs.",
        discussion: """
        Every combination of the --vary values is simulated (one `lovage simulate` process per \
        configuration, --jobs at a time), checked against every --slo, and listed with its slots, \
        utilisation, throughput, queue wait and memory; the cheapest configuration that meets every SLO \
        (fewest paid slots = workers × concurrency, or a fleet-scaled group's mean workers × concurrency; \
        then fewest workers) is marked. For a scenario that is an \
        M/M/c queue (Poisson arrivals, exponential bodies, a fixed pool) the Erlang C prediction is shown \
        beside the simulated queue wait. Writes plan.json and plan.html under --out. Exits 1 when no \
        configuration meets the SLOs, 2 on bad input.
        """)

    @Argument(help: "Scenario file (YAML).")
    var file: String

    @Option(help: "A service-level objective in the assertion language, e.g. 'queue_wait.p99 < 30s' (repeatable).")
    var slo: [String] = []

    @Option(help: "A setting and its values: KEY=A...B (every whole number), KEY=A,B,C, or one value (repeatable). Keys: \(ScenarioOverride.keys.joined(separator: ", ")), and with a fleet scaler scaler.policy (or autoscale.policy) and scaler.<setting>.")
    var vary: [String] = []

    @Option(help: "Simulations run at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Output folder (default: results/runs/<scenario>-plan).")
    var out: String?

    @Flag(help: "Print plan.json on standard output instead of the table.")
    var json = false

    func validate() throws {
        guard !slo.isEmpty else { throw ValidationError("give at least one --slo, e.g. --slo 'queue_wait.p99 < 30s'") }
        guard !vary.isEmpty else { throw ValidationError("give at least one --vary, e.g. --vary concurrency=1...32") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be >= 1") }
        _ = try objectives()
        _ = try configurations()
    }

    func objectives() throws -> [Assertion] {
        try slo.map { text throws -> Assertion in
            do { return try Assertion.parse(text) } catch let error as AssertionSyntaxError {
                throw ValidationError("--slo '\(text)': expected \(error.expected), found \(error.found)")
            } catch {
                throw ValidationError("--slo '\(text)': \(error)")
            }
        }
    }

    /// Every combination of the --vary values, the first --vary varying slowest.
    func configurations() throws -> [[ScenarioOverride]] {
        var combinations: [[ScenarioOverride]] = [[]]
        for text in vary {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--vary \(text): expected KEY=A...B or KEY=A,B,C") }
            let values: [String]
            if let range = parts[1].range(of: "...") {
                guard let low = Int(parts[1][..<range.lowerBound]), let high = Int(parts[1][range.upperBound...]), low <= high else {
                    throw ValidationError("--vary \(text): a range is two whole numbers A...B with A <= B")
                }
                values = (low...high).map(String.init)
            } else {
                values = parts[1].split(separator: ",").map(String.init)
            }
            let overrides = try values.map { value in
                do { return try ScenarioOverride(parsing: "\(parts[0])=\(value)") } catch { throw ValidationError("--vary \(error)") }
            }
            combinations = combinations.flatMap { prefix in overrides.map { prefix + [$0] } }
        }
        guard combinations.count <= 10_000 else { throw ValidationError("--vary gives \(combinations.count) configurations; at most 10,000") }
        return combinations
    }

    func run() throws {
        let base: Scenario
        do { base = try ScenarioLoader.load(path: file) } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let objectives = try objectives()
        let configurations = try configurations()
        // Every configuration must apply to this scenario (a scaler setting needs a scaled group)
        // before anything runs.
        for settings in configurations {
            do { _ = try base.overriding(settings) } catch {
                printError("lovage plan: \(error)")
                throw ExitCode(2)
            }
        }
        let directory = out ?? "results/runs/\(base.name)-plan"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let started = Date()
        let summaries = try SweepRunner(file: file, configurations: configurations, jobs: jobs,
                                        showProgress: !json && standardErrorIsTerminal).run()
        let rows = try zip(configurations, summaries).map { settings, summary -> CapacityPlan.Row in
            let scenario = try base.overriding(settings)
            let paid = CapacityPlan.paidFleet(scenario, summary: summary)
            let outcomes = objectives.map { assertion -> (assertion: Assertion, value: Double?, holds: Bool) in
                let value = summary.metric(assertion.metric)
                return (assertion, value, value.map { assertion.comparison.holds($0, assertion.threshold) } ?? false)
            }
            return CapacityPlan.Row(settings: settings, slots: paid.slots, workers: paid.workers,
                                    summary: summary, slo: outcomes, erlang: CapacityPlan.erlangModel(scenario),
                                    handOffSeconds: CapacityPlan.modelledHandOffSeconds(scenario))
        }
        let plan = CapacityPlan(rows: rows)
        let wall = Date().timeIntervalSince(started)
        let document = PlanDocument(plan, scenario: base.name, wallSeconds: wall)
        let encoded = try SummaryFiles.encoder().encode(document)
        try encoded.write(to: URL(fileURLWithPath: directory + "/plan.json"))
        try Data(CapacityPlanHTML.render(plan, scenario: base.name, format: SummaryText.format(metricValue:metric:)).utf8)
            .write(to: URL(fileURLWithPath: directory + "/plan.html"))
        if json {
            print(String(decoding: encoded, as: UTF8.self))
        } else {
            print(PlanText.render(plan, scenario: base.name, file: file, wallSeconds: wall, jobs: jobs))
            print("\nwritten   \(directory)/plan.html\n          \(directory)/plan.json")
        }
        if plan.cheapest == nil { throw ExitCode(1) }
    }
}
