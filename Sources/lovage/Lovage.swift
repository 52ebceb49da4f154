import ArgumentParser

@main
struct Lovage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lovage",
        abstract: "A Celery-compatible worker and a deterministic simulation harness around it.",
        subcommands: [SimulateCommand.self, ExploreCommand.self, ReplayCommand.self, ShrinkCommand.self, RunCommand.self, FidelityCommand.self, PlanCommand.self, ValidateCommand.self, EnqueueCommand.self, WorkerCommand.self, WorkerChildCommand.self, CompareCommand.self],
        defaultSubcommand: nil
    )
}
