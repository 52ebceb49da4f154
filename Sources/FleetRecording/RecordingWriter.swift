#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CeleryWire

/// Appends a recording's lines to `DIR/recording.jsonl.gz`, one gzip member per flush.
///
/// Lines are buffered and compressed together at `flush()` (the recorder flushes at least once a
/// second), then appended with one `write` and `fsync`ed: the file on disk is always a whole number
/// of members, except while a write is under way, so a recorder killed at any moment leaves a
/// recording the reader takes up to its last complete second.
public final class RecordingWriter {
    public static let fileName = "recording.jsonl.gz"
    public let directory: String
    public var path: String { directory + "/" + Self.fileName }
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    /// Uncompressed and compressed bytes written so far.
    public private(set) var rawBytes = 0
    public private(set) var compressedBytes = 0
    public private(set) var lines = 0

    /// Creates `directory` if needed and starts a new recording file there; refuses to overwrite one.
    public init(directory: String) throws(RecordingError) {
        self.directory = directory
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw RecordingError("cannot create the recording directory \(directory): \(String(cString: strerror(errno)))")
        }
        let file = directory + "/" + Self.fileName
        descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0o644)
        if descriptor < 0 {
            let reason = errno == EEXIST ? "it already holds a recording (choose another --out, or remove it)" : String(cString: strerror(errno))
            throw RecordingError("cannot write \(file): \(reason)")
        }
    }

    deinit { if descriptor >= 0 { closeFile(descriptor) } }

    public func append(_ line: JSONObject) {
        buffer.append(contentsOf: line.serialized())
        buffer.append(UInt8(ascii: "\n"))
        lines += 1
    }

    /// Bytes waiting for the next flush.
    public var pendingBytes: Int { buffer.count }

    /// Compresses what is buffered into one member and appends it.
    public func flush() throws(RecordingError) {
        guard !buffer.isEmpty, descriptor >= 0 else { return }
        let member = GzipMembers.compress(buffer)
        guard !member.isEmpty else { throw RecordingError("cannot compress the recording's last \(buffer.count) bytes") }
        var written = 0
        while written < member.count {
            let n = member.withUnsafeBytes { raw in write(descriptor, raw.baseAddress! + written, raw.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RecordingError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            written += n
        }
        _ = fsync(descriptor)
        rawBytes += buffer.count
        compressedBytes += member.count
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() throws(RecordingError) {
        try flush()
        if descriptor >= 0 { closeFile(descriptor); descriptor = -1 }
    }
}

private func closeFile(_ descriptor: Int32) {
#if canImport(Glibc)
    _ = Glibc.close(descriptor)
#else
    _ = Darwin.close(descriptor)
#endif
}
