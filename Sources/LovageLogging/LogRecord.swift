import Logging

/// One log event with everything a line shows: what the handler adds (time, process) to what
/// swift-log hands it (level, label, message, metadata). Rendering takes this value, so the exact
/// bytes can be checked with a fixed time and pid.
public struct LogRecord: Sendable, Equatable {
    /// Unix time in microseconds.
    public var timeMicros: Int64
    public var level: Logger.Level
    public var label: String
    public var message: String
    public var metadata: Logger.Metadata
    public var pid: Int32
    /// Celery's `processName`: `MainProcess`, or `ForkPoolWorker-N` in a prefork child.
    public var processName: String

    public init(timeMicros: Int64, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata = [:],
                pid: Int32, processName: String = "MainProcess") {
        self.timeMicros = timeMicros
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
        self.pid = pid
        self.processName = processName
    }
}
