import Foundation
import Logging
import RedisClient

/// How `lovage run --mode redis` runs a scenario for real.
public struct RealRunOptions: Sendable {
    /// Whose worker the fleet runs.
    public enum Target: String, Sendable, CaseIterable {
        /// `lovage worker` processes (this executable).
        case lovage
        /// Python Celery workers (`celery -A lovage_synthetic worker`), for measuring a Celery
        /// deployment with the same scenario.
        case celery
    }

    /// Root seed (the plan's arrivals and body durations); nil: the scenario's.
    public var seed: UInt64?
    /// Multiplies every duration and divides every rate (see `Scenario.timeScaled`).
    public var timeScale: Double = 1
    /// A Redis server to use; nil: start a private one on a free loopback port.
    public var brokerURL: RedisURL?
    public var target: Target = .lovage
    /// The `lovage` executable the fleet runs (`lovage worker`).
    public var lovageExecutable: String
    /// The Python with Celery installed, and the folder holding `lovage_synthetic.py` (target celery).
    public var pythonExecutable: String
    public var celeryModuleDirectory: String
    /// Publish the load with no fleet and read no results: measures the publisher (and fills a
    /// broker for workers started elsewhere).
    public var publishOnly = false
    /// Run the fleet with task events (`-E`) and subscribe to them: duplicates are counted and a
    /// retried task's queue wait is measured from its last attempt. Off, the fleet does less work
    /// per task (three events each) and the runner decodes none, at the price of those figures.
    public var taskEvents = true
    /// Where the workers' logs go.
    public var logDirectory: String
    /// Operator messages (faults applied, workers started and stopped), at INFO.
    public var logger: Logger

    public init(lovageExecutable: String, pythonExecutable: String, celeryModuleDirectory: String, logDirectory: String,
                logger: Logger = Logger(label: "lovage.run")) {
        self.lovageExecutable = lovageExecutable
        self.pythonExecutable = pythonExecutable
        self.celeryModuleDirectory = celeryModuleDirectory
        self.logDirectory = logDirectory
        self.logger = logger
    }
}

/// Why a real run could not start or had to stop.
public struct RealRunError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
