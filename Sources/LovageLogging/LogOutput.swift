#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where rendered lines go. Standard error by default, each line in one locked `write(2)` loop so
/// lines from the worker's threads never interleave; tests and embedders pass their own closure.
public struct LogOutput: Sendable {
    public let write: @Sendable (String) -> Void

    public init(write: @escaping @Sendable (String) -> Void) { self.write = write }

    /// Standard error, as Celery logs when it has no log file.
    public static let standardError = LogOutput(write: { FileDescriptorWriter.standardError.write($0) })
}

/// Whole lines to a file descriptor under a mutex.
final class FileDescriptorWriter: @unchecked Sendable {
    static let standardError = FileDescriptorWriter(fd: 2)

    private let fd: Int32
    private let mutex = PosixMutex()

    init(fd: Int32) { self.fd = fd }

    func write(_ line: String) {
        let bytes = Array(line.utf8)
        mutex.withLock {
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = unistdWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { return }   // nowhere left to report a failing stderr
                    offset += written
                }
            }
        }
    }
}

#if canImport(Glibc)
private let unistdWrite = Glibc.write
#elseif canImport(Darwin)
private let unistdWrite = Darwin.write
#endif
