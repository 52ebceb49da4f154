#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Yams

/// Reads scenario YAML files into validated `Scenario` values.
///
/// Everything is checked before anything runs: unknown keys, missing keys, types, ranges and
/// cross references (mix, bursts and faults naming task types and workers). All problems are
/// collected; the thrown `ScenarioError` is the first in file order and carries the rest.
public enum ScenarioLoader {
    /// The top-level keys of a scenario file, in the order the documentation lists them.
    public static let topLevelKeys = ["name", "description", "seed", "duration", "drain", "broker", "fleet",
                                      "tasks", "routes", "unconsumed_queues", "load", "faults", "controls", "assertions", "invariants", "host", "schedule"]

    /// Reads and parses the file at `path` (named in messages exactly as given).
    public static func load(path: String) throws(ScenarioError) -> Scenario {
        let text = try readFile(path)
        return try parse(yaml: text, sourcePath: path)
    }

    /// Parses scenario YAML; `sourcePath` names the file in messages and in `Scenario.sourcePath`.
    public static func parse(yaml: String, sourcePath: String) throws(ScenarioError) -> Scenario {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw yamlError(error, file: sourcePath, yaml: yaml)
        }
        guard let root else {
            throw ScenarioError(file: sourcePath, line: 1, column: 1, keyPath: "",
                                expected: "a mapping of scenario settings (name, duration, fleet, tasks, load, ...)",
                                found: "an empty document")
        }
        let reader = Reader(file: sourcePath)
        let scenario = ScenarioBuilder(reader: reader, sourcePath: sourcePath).build(root)
        try throwRecorded(reader)
        guard let scenario else {
            // Every path that returns nil records an error first; this is a safety net.
            throw ScenarioError(file: sourcePath, line: 1, column: 1, keyPath: "", expected: "a valid scenario",
                                found: "", message: "the scenario could not be read")
        }
        return scenario
    }

    /// The reader's problems in file order: the first thrown, the others in its `additional`.
    static func throwRecorded(_ reader: Reader) throws(ScenarioError) {
        let errors = reader.errors.enumerated().sorted { lhs, rhs in
            let l = (lhs.element.line ?? 0, lhs.element.column ?? 0, lhs.offset)
            let r = (rhs.element.line ?? 0, rhs.element.column ?? 0, rhs.offset)
            return l < r
        }.map(\.element)
        if var first = errors.first {
            first.additional = Array(errors.dropFirst())
            throw first
        }
    }

    public static func readFile(_ path: String) throws(ScenarioError) -> String {
        func failure(_ reason: String) -> ScenarioError {
            ScenarioError(file: path, line: nil, column: nil, keyPath: "", expected: "a readable file",
                          found: reason, message: "cannot read \(path): \(reason)")
        }
        guard let handle = fopen(path, "rb") else {
            throw failure(String(cString: strerror(errno)))
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
            if count > 0 { bytes += buffer[0..<count] }
            if count < buffer.count {
                if ferror(handle) != 0 { throw failure(String(cString: strerror(errno))) }
                break
            }
        }
        // Decoding replaces invalid sequences, so a round trip that changes the bytes means invalid UTF-8.
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.elementsEqual(bytes) else {
            throw failure("the file is not UTF-8 text")
        }
        return text
    }
}
