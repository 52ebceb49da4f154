import ArgumentParser
import Scenarios

/// `lovage validate FILE...`: load scenario files and report every error without running anything.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check scenario files and print what is wrong, without running them.")

    @Argument(help: "Scenario files (YAML).")
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            do {
                let scenario = try ScenarioLoader.load(path: file)
                print("ok: \(file) (\(scenario.name): \(scenario.fleet.count) worker group(s), \(scenario.tasks.count) task type(s))")
            } catch {
                failed = true
                printError("\(error)")
            }
        }
        if failed { throw ExitCode(2) }
    }
}
