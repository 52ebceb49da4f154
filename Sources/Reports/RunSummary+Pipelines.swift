/// Pipeline figures (issue 17): what each task type with followers set going, measured from the
/// root's publish to the end of the pipeline's last task, in both worlds.
extension RunSummary {
    public struct PipelineFigures: Sendable, Codable, Equatable {
        /// The root task type: every publish of it started one pipeline.
        public var root: String
        /// `tasks.parse → tasks.split → chord(tasks.embed_chunk × n) → tasks.update_index`.
        public var shape: String
        public var started = 0
        /// Every stage ended and the last one succeeded.
        public var completed = 0
        /// A stage failed for good: the chain stopped (Celery stores the failure under every later
        /// step), or a chord member failed so its join failed with ChordError.
        public var failed = 0
        /// Neither completed nor failed by the end of the run: a task of the current stage never
        /// ended (lost, stranded in a queue) or a join never fired.
        public var stuck = 0
        /// Root publish to the end of the last task, over completed and failed pipelines; a stuck
        /// one counts as lasting until the end of the run (a lower bound, as censored waits do).
        public var latency = Percentiles(p50: 0, p90: 0, p99: 0, max: 0, mean: 0)
        /// Every task these pipelines published, roots included: `tasks_published / started` is
        /// how much a pipeline multiplies the load of its root.
        public var tasksPublished = 0
        /// The members drawn for each group (plain counts, not microseconds); nil without a group.
        public var fanOutMembers: Percentiles? = nil
        public var stages: [StageFigures] = []
        /// The chord joins (nil without a joined group).
        public var joins: JoinFigures? = nil
        /// A few stuck pipelines, with where each one stopped (the first ones by root publish).
        public var stuckExamples: [String] = []

        public init(root: String, shape: String) { self.root = root; self.shape = shape }

        public var loadMultiplier: Double { started > 0 ? Double(tasksPublished) / Double(started) : 0 }
    }

    public struct StageFigures: Sendable, Codable, Equatable {
        /// The stage's task name, or `chord(name × n)` / `group(name × n)`.
        public var stage: String
        /// Tasks this stage published (members of a group counted one by one).
        public var tasks = 0
        /// Pipelines whose stage ended (every task of it ended).
        public var ended = 0
        /// From the stage's publish to its end (the last of its tasks ending).
        public var span = Percentiles(p50: 0, p90: 0, p99: 0, max: 0, mean: 0)

        public init(stage: String) { self.stage = stage }
    }

    public struct JoinFigures: Sendable, Codable, Equatable {
        /// The last member returned and the body was published.
        public var fired = 0
        /// Every member returned and one had failed: the body failed with ChordError, unpublished.
        public var failed = 0
        /// A member never returned by the end of the run: the body never ran.
        public var stuck = 0
        public init(fired: Int = 0, failed: Int = 0, stuck: Int = 0) { self.fired = fired; self.failed = failed; self.stuck = stuck }
    }
}
