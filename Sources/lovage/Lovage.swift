import ArgumentParser
import Foundation

@main
struct Lovage: ParsableCommand {
    /// The version `lovage --version` prints; one constant, raised with each release.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "lovage",
        abstract: "A Celery-compatible worker and a deterministic simulation harness around it.",
        discussion: """
        Exit status: 0 ok; 1 an assertion, SLO, invariant or regression failed; 2 bad input (an option, \
        a file, a scenario) or a service that cannot be reached. `enqueue --wait` exits 3 when --timeout passes.
        """,
        version: version,
        subcommands: [SimulateCommand.self, ExploreCommand.self, ReplayCommand.self, ShrinkCommand.self, RunCommand.self, FidelityCommand.self, PlanCommand.self, ValidateCommand.self, EnqueueCommand.self, WorkerCommand.self, WorkerChildCommand.self, CompareCommand.self, InspectCommand.self, ControlCommand.self, StatusCommand.self, RecordCommand.self, ExporterCommand.self, CalibrateCommand.self, BeatCommand.self],
        defaultSubcommand: nil
    )

    /// Parses and runs the command itself rather than through ArgumentParser's `main`, so that bad
    /// input exits 2 as documented instead of ArgumentParser's 64 (see `ExitStatus`), and an error
    /// found while running (a broker that cannot be reached) is printed without a usage line.
    static func main() {
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            finish(error)
        }
        do {
            try LogSetup.bootstrap(for: command)
            try command.run()
        } catch let error as ValidationError {
            printError("Error: \(error.message)")
            Foundation.exit(ExitStatus.badInput)
        } catch {
            finish(error)
        }
    }

    /// Prints what ArgumentParser would for `error` (help and --version on standard output) and
    /// exits with the documented status.
    private static func finish(_ error: Error) -> Never {
        let status = ExitStatus.status(for: error, parserStatus: exitCode(for: error).rawValue)
        let message = fullMessage(for: error)
        if !message.isEmpty {
            if status == ExitStatus.ok { print(message) } else { printError(message) }
        }
        fflush(nil)
        Foundation.exit(status)
    }
}
