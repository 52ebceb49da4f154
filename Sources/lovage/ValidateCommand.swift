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

    @Flag(help: "Print the outcome as JSON: {\"ok\": Bool, \"files\": [{\"file\", \"ok\", \"scenario\", \"worker_groups\", \"task_types\"} or {\"file\", \"ok\", \"error\"}]}.")
    var json = false

    /// One file's outcome, as `--json` prints it.
    struct FileOutcome: Encodable {
        var file: String
        var ok: Bool
        var scenario: String?
        var workerGroups: Int?
        var taskTypes: Int?
        var error: String?
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
                }
            } catch {
                outcomes.append(FileOutcome(file: file, ok: false, error: "\(error)"))
                printError("\(error)")
            }
        }
        let failed = outcomes.contains { !$0.ok }
        if json { try printJSON(Report(ok: !failed, files: outcomes)) }
        if failed { throw ExitCode(ExitStatus.badInput) }
    }
}
