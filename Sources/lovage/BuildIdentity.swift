import CZlib
import Foundation

/// Which build of Lovage this process is: the version and a CRC-32 and size of the executable.
///
/// Why: a distributed sweep must never mix results from a different build (another simulator
/// version gives other figures and other trace hashes). The publisher and every worker are the same
/// executable when they are the same build, so hashing the file itself catches a rebuilt binary
/// even when the version constant was not raised. Computed once per process, on first use.
enum BuildIdentity {
    /// Tests only: an identity to report instead of the executable's, so a test can play a worker
    /// running another build without building one. Not meant for production use.
    static let overrideKey = "LOVAGE_BUILD_IDENTITY_OVERRIDE"

    static let current: String = compute()

    private static func compute() -> String {
        if let forced = ProcessInfo.processInfo.environment[overrideKey], !forced.isEmpty { return forced }
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        guard let handle = FileHandle(forReadingAtPath: path) else { return "lovage \(Lovage.version) (executable unreadable: \(path))" }
        defer { try? handle.close() }
        var crc: uLong = crc32(0, nil, 0)
        var size = 0
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            size += chunk.count
            crc = chunk.withUnsafeBytes { bytes in
                crc32(crc, bytes.bindMemory(to: Bytef.self).baseAddress, uInt(bytes.count))
            }
        }
        return String(format: "lovage %@ exe crc32 %08x size %d", Lovage.version, UInt32(truncatingIfNeeded: crc), size)
    }
}
