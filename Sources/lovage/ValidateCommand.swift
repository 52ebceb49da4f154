import ArgumentParser
import Reports
import Scenarios

/// `lovage validate FILE...`: load scenario files and report every error without running anything.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check scenario files and print what is wrong, without running them.",
        discussion: "Exits 0 when every file is valid, 2 when any is not (each error names the file, line and key).")

    @Argument(help: "Scenario files (YAML).")
    var files: [String]

    @Flag(help: "Print the outcome as JSON: ok, and per file its scenario and counts, or its errors (line, column, key, message).")
    var json = false

    /// One file's outcome, as `--json` prints it.
    struct FileOutcome: Encodable {
        var file: String
        var ok: Bool
        var scenario: String?
        var workerGroups: Int?
        var taskTypes: Int?
        /// Every problem found, in file order (the text output prints the same, one per line).
        var errors: [Problem]?
    }

    /// One problem in a scenario file; `line` and `column` are nil when the file could not be read.
    struct Problem: Encodable {
        var line: Int?
        var column: Int?
        /// Where in the document, e.g. `fleet[0].autoscale.max`; empty for the document itself.
        var key: String
        var message: String
        /// `file:line:column: key: message`, as the text output prints it.
        var text: String
    }

    struct Report: Encodable {
        var ok: Bool
        var files: [FileOutcome]
    }

    func run() throws {
        var outcomes: [FileOutcome] = []
        for file in files {
            do {
                let scenario = try ScenarioLoader.load(path: file)
                outcomes.append(FileOutcome(file: file, ok: true, scenario: scenario.name, workerGroups: scenario.fleet.count,
                                            taskTypes: scenario.tasks.count))
                if !json {
                    print("ok: \(file) (\(scenario.name): \(scenario.fleet.count) worker group(s), \(scenario.tasks.count) task type(s))")
                    // The operator's scheduled actions, so a reader sees what the run will do and to whom.
                    for control in scenario.controls {
                        print("  control at \(DurationText.format(control.at)) (line \(control.line)): \(control.description)")
                    }
                    // Each root's pipeline: what one publish of it sets going, before anything runs.
                    for line in PipelineListing.lines(scenario) { print(line) }
                    for line in ScheduleListing.lines(scenario) { print(line) }
                }
            } catch {
                let problems = error.all.map { Problem(line: $0.line, column: $0.column, key: $0.keyPath, message: $0.message, text: $0.headline) }
                outcomes.append(FileOutcome(file: file, ok: false, errors: problems))
                printError("\(error)")
            }
        }
        let failed = outcomes.contains { !$0.ok }
        if json { try printJSON(Report(ok: !failed, files: outcomes)) }
        if failed { throw ExitCode(ExitStatus.badInput) }
    }
}
