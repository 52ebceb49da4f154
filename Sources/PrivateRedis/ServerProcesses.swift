import Foundation

/// Lists redis-server processes serving a given loopback port, so tests can check that nothing
/// was left running. Redis rewrites its command line to "[/path/]redis-server 127.0.0.1:PORT",
/// which is what `pgrep -f "redis-server 127.0.0.1:PORT"` matches; reading /proc directly avoids
/// depending on procps and does not match `127.0.0.1:PORT0`.
public enum ServerProcesses {
    public static func redisServerPIDs(port: Int) -> [Int32] {
        let address = "127.0.0.1:\(port)"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var found: [Int32] = []
        for entry in entries {
            guard let pid = Int32(entry), let raw = readProcFile("/proc/\(entry)/cmdline") else { continue }
            // "/usr/bin/redis-server 127.0.0.1:PORT" (argv[0] as launched, then the address).
            let words = String(decoding: raw.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
                .split(separator: " ")
            if words.count >= 2, words[0].split(separator: "/").last == "redis-server", words[1] == address {
                found.append(pid)
            }
        }
        return found.sorted()
    }

    /// /proc files report a size of 0, so they are read with plain `read(2)` until end of file
    /// (Foundation's size-based readers return nothing for them).
    private static func readProcFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }
}
