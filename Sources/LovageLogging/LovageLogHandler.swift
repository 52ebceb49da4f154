#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// The `LogHandler` behind every `lovage` command: Celery's line format by default, or JSON lines,
/// to standard error. The clock and pid are injectable so a test can check exact bytes.
public struct LovageLogHandler: LogHandler {
    public let label: String
    public var format: LogFormat
    public var processName: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let output: LogOutput
    let clockMicros: @Sendable () -> Int64
    let pid: Int32

    public init(label: String, format: LogFormat = .celery, level: Logger.Level = .info, processName: String = "MainProcess",
                output: LogOutput = .standardError, metadataProvider: Logger.MetadataProvider? = nil,
                clockMicros: @escaping @Sendable () -> Int64 = LovageLogHandler.wallClockMicros, pid: Int32 = getpid()) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.processName = processName
        self.output = output
        self.metadataProvider = metadataProvider
        self.clockMicros = clockMicros
        self.pid = pid
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        let record = LogRecord(timeMicros: clockMicros(), level: event.level, label: label, message: event.message.description,
                               metadata: merged, pid: pid, processName: processName)
        output.write(LogLineRenderer.render(record, format: format))
    }

    /// Unix time in microseconds from the real-time clock.
    @Sendable public static func wallClockMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }
}
