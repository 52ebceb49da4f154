import ArgumentParser
import Foundation
import Reports
import Scenarios

/// `lovage plan FILE --slo '…' --vary KEY=RANGE`: a capacity-planning sweep in simulation, every
/// configuration over several seeds, each SLO judged at a stated confidence.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Sweep fleet settings in simulation over several seeds and find the cheapest configuration that meets the SLOs at a stated confidence.",
        discussion: """
        Every combination of the --vary values is simulated on every seed of --seeds (one \
        `lovage simulate` process per configuration runs its seeds in turn, --jobs configurations at \
        a time). A configuration meets the SLOs when they all hold at once on at least --confidence of its \
        seeds (⌈confidence × seeds⌉ of them); the cheapest configuration meeting them (fewest paid \
        slots = workers × concurrency, or a fleet-scaled group's mean workers × concurrency; then \
        fewest workers; then the lower median queue-wait p99) is marked. Unless --no-default-slos, \
        'leftover == 0' and 'lost == 0' (and 'pipelines_stuck == 0' for a scenario with pipelines) \
        are added to the SLOs (each only when no --slo bounds that \
        metric already). A configuration is stopped early, its remaining seeds not run, once more of \
        its seeds have missed an SLO than the confidence allows (--no-early-stop runs them all). Tables, \
        plan.json and plan.html give per configuration the medians over seeds and per SLO "holds in k \
        of N", median, p10–p90, min–max, the value at the confidence and the margins to the \
        threshold. For an M/M/c scenario the Erlang C prediction is shown beside the simulated queue \
        wait. Exits 1 when no configuration meets the SLOs, 2 on bad input.
        """)

    @Argument(help: "Scenario file (YAML).")
    var file: String

    @Option(help: "A service-level objective in the assertion language, e.g. 'queue_wait.p99 < 30s' (repeatable).")
    var slo: [String] = []

    @Option(help: "A setting and its values: KEY=A...B (every whole number), KEY=A,B,C, KEY=A|B|C (values that hold commas: autoscale=8,2|16,4|off), or one value (repeatable). Keys: \(ScenarioOverride.keys.filter { $0 != "seed" }.joined(separator: ", ")), and with a fleet scaler scaler.policy (or autoscale.policy) and scaler.<setting>. Not seed: use --seeds.")
    var vary: [String] = []

    @Option(help: "Seeds per configuration: a count N (the scenario's seed S and the seeds after it: S, S+1, …, S+N−1) or a range A...B.")
    var seeds: String = "10"

    @Option(help: "Share of a configuration's seeds on which every SLO must hold at once: 0.9 or 90%.")
    var confidence: String = "90%"

    @Flag(help: "Do not add the default SLOs 'leftover == 0' and 'lost == 0'.")
    var noDefaultSlos = false

    @Flag(help: "Run every seed of every configuration, even one that already failed on more seeds than the confidence allows.")
    var noEarlyStop = false

    @Option(help: "Configurations simulated at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Output folder (default: results/runs/<scenario>-plan).")
    var out: String?

    @Flag(help: "Print plan.json on standard output instead of the table.")
    var json = false

    @OptionGroup(title: "Sweeping on a Celery fleet") var fleet: BrokerSweepOptions

    /// Bad input is refused in `run` rather than `validate`, so it exits 2 (the argument parser's
    /// validation exits 64) with a message naming the option and the value.
    func checkInputs() throws {
        guard !slo.isEmpty || !noDefaultSlos else { throw PlanError("give at least one --slo, e.g. --slo 'queue_wait.p99 < 30s'") }
        guard !vary.isEmpty else { throw PlanError("give at least one --vary, e.g. --vary concurrency=1...32") }
        guard jobs >= 1 else { throw PlanError("--jobs \(jobs): must be >= 1") }
        _ = try objectives()
        _ = try configurations()
        _ = try PlanSettings.seeds(seeds, scenarioSeed: 0)
        _ = try PlanSettings.confidence(confidence)
        try fleet.check()
    }

    /// The --slo objectives followed by the default ones.
    func objectives(pipelines: Bool = false) throws -> [Assertion] {
        let given = try slo.map { text throws -> Assertion in
            do { return try Assertion.parse(text) } catch let error as AssertionSyntaxError {
                throw PlanError("--slo '\(text)': expected \(error.expected), found \(error.found)")
            } catch {
                throw PlanError("--slo '\(text)': \(error)")
            }
        }
        return PlanSettings.objectives(given, includeDefaults: !noDefaultSlos, pipelines: pipelines)
    }

    /// Every combination of the --vary values, the first --vary varying slowest.
    func configurations() throws -> [[ScenarioOverride]] {
        do { return try PlanSettings.configurations(vary) } catch { throw PlanError("\(error)") }
    }

    func run() throws {
        do { try checkInputs() } catch {
            printError("lovage plan: \(error)")
            throw ExitCode(2)
        }
        let base: Scenario
        do { base = try ScenarioLoader.load(path: file) } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let objectives = try objectives(pipelines: base.pipelinePlans.contains { $0 != nil })
        let configurations = try configurations()
        let seedList: [UInt64]
        let rule: ConfidenceRule
        do {
            seedList = try PlanSettings.seeds(seeds, scenarioSeed: base.seed)
            rule = ConfidenceRule(confidence: try PlanSettings.confidence(confidence), seeds: seedList.count)
        } catch {
            printError("lovage plan: \(error)")
            throw ExitCode(2)
        }
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
        let earlyStop = !noEarlyStop
        // Stop a configuration once more of its seeds missed some SLO than the rule allows.
        let stop: @Sendable ([RunSummary]) -> Bool = { summaries in
            earlyStop && rule.clearlyFails(failures: summaries.filter { !CapacityPlan.Row.meetsEvery(objectives, $0) }.count)
        }
        let results: [[RunSummary]]
        let showProgress = !json && standardErrorIsTerminal
        do {
            if let settings = try fleet.settings(showProgress: showProgress) {
                results = try BrokerSweep(settings: settings, unit: "run")
                    .plan(file: file, configurations: configurations, seeds: seedList, stop: stop)
            } else {
                results = try SweepRunner(file: file, configurations: configurations, seeds: seedList, jobs: jobs,
                                          showProgress: showProgress, stop: stop).run()
            }
        } catch let error as PlanError {
            printError("lovage plan: \(error)")
            throw ExitCode(2)
        }
        let rows = try zip(configurations, results).map { settings, summaries -> CapacityPlan.Row in
            let scenario = try base.overriding(settings)
            return CapacityPlan.Row(settings: settings, seeds: seedList, summaries: summaries,
                                    paid: summaries.map { CapacityPlan.paidFleet(scenario, summary: $0) },
                                    objectives: objectives, rule: rule, erlang: CapacityPlan.erlangModel(scenario),
                                    handOffSeconds: CapacityPlan.modelledHandOffSeconds(scenario))
        }
        let plan = CapacityPlan(rows: rows, rule: rule)
        let wall = Date().timeIntervalSince(started)
        let document = PlanDocument(plan, scenario: base.name, wallSeconds: wall, earlyStop: earlyStop)
        let encoded = try SummaryFiles.encoder().encode(document)
        try encoded.write(to: URL(fileURLWithPath: directory + "/plan.json"))
        try Data(CapacityPlanHTML.render(plan, scenario: base.name, format: SummaryText.format(metricValue:metric:)).utf8)
            .write(to: URL(fileURLWithPath: directory + "/plan.html"))
        if json {
            print(String(decoding: encoded, as: UTF8.self))
        } else {
            let parallelism = fleet.broker == nil ? "\(jobs) at a time" : "on the workers of queue \(fleet.queue)"
            print(PlanText.render(plan, scenario: base.name, file: file, wallSeconds: wall, parallelism: parallelism))
            print("\nwritten   \(directory)/plan.html\n          \(directory)/plan.json")
        }
        if plan.cheapest == nil { throw ExitCode(1) }
    }
}
