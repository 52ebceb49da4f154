#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Bootstraps swift-log once per process with `LovageLogHandler`, so every `Logger(label:)` in the
/// process (Lovage's own and a task body's) writes the same lines at the same level.
public enum LovageLoggingSystem {
    /// Environment a prefork parent sets for its children (`lovage worker-child`), which inherit
    /// it, so their lines have the parent's format and level.
    public static let childLevelKey = "LOVAGE_CHILD_LOGLEVEL"
    /// Set per child by the prefork pool: the child's Celery process name (`ForkPoolWorker-N`).
    public static let childProcessNameKey = "LOVAGE_CHILD_PROCESS_NAME"

    nonisolated(unsafe) private static var bootstrapped = false
    private static let mutex = PosixMutex()

    /// Installs the handler for the whole process. swift-log allows one bootstrap per process; a
    /// second call here is ignored and returns false (the first configuration stays).
    @discardableResult
    public static func bootstrap(format: LogFormat, level: Logger.Level, processName: String = "MainProcess",
                                 output: LogOutput = .standardError) -> Bool {
        mutex.withLock {
            guard !bootstrapped else { return false }
            bootstrapped = true
            LoggingSystem.bootstrap { label in
                LovageLogHandler(label: label, format: format, level: level, processName: processName, output: output)
            }
            return true
        }
    }
}
