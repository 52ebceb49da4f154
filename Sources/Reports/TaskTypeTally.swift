/// One task type's counts and histograms while a run is summed up, the same in both worlds: the
/// simulator's ledger and a real run's summary record into it, and `figures(task:)` gives the
/// `by_task` entry of summary.json.
public struct TaskTypeTally: Sendable {
    public var published = 0, succeeded = 0, failed = 0, retried = 0, censored = 0
    public var queueWait = DurationHistogram()
    public var runTime = DurationHistogram()
    /// The bodies that succeeded, when the run keeps them apart (`TaskFigures.succeededRunTime`).
    public var succeededRunTime: DurationHistogram?

    public init() {}

    public func figures(task: String) -> RunSummary.TaskFigures {
        var figures = RunSummary.TaskFigures(task: task)
        figures.published = published; figures.succeeded = succeeded; figures.failed = failed
        figures.retried = retried; figures.censoredWaits = censored
        figures.queueWait = queueWait.percentiles; figures.runTime = runTime.percentiles
        figures.succeededRunTime = succeededRunTime?.percentiles
        return figures
    }
}
