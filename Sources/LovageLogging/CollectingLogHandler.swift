#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// A `LogHandler` that keeps what it is given in memory instead of writing it: for tests, and
/// for code that embeds a Lovage component and reads its records (`Logger(label:) { CollectingLogHandler(...) }`).
public struct CollectingLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let records: LogRecords

    public init(label: String, records: LogRecords, level: Logger.Level = .trace) {
        self.label = label
        self.records = records
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        records.append(LogRecord(timeMicros: LovageLogHandler.wallClockMicros(), level: event.level, label: label,
                                 message: event.message.description, metadata: merged, pid: getpid()))
    }

    /// A logger whose records go to `records`.
    public static func logger(label: String, records: LogRecords, level: Logger.Level = .trace) -> Logger {
        Logger(label: label) { CollectingLogHandler(label: $0, records: records, level: level) }
    }
}

/// The records a `CollectingLogHandler` kept, shared between threads.
public final class LogRecords: @unchecked Sendable {
    private var items: [LogRecord] = []
    private let mutex = PosixMutex()

    public init() {}

    func append(_ record: LogRecord) { mutex.withLock { items.append(record) } }

    /// Every record so far, in the order they were logged.
    public var all: [LogRecord] {
        mutex.withLock { items }
    }

    /// Every record as `[LEVEL] message`, the shape the worker's log closure had.
    public var lines: [String] { all.map { "[\(LogLevelName.name(of: $0.level))] \($0.message)" } }
}
