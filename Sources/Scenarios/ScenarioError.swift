/// A scenario file that cannot be used, with the place and the reason, for example
/// `scenarios/x.yaml:12:5: fleet[0].concurrency: expected a positive integer, found "lots"`.
///
/// The loader checks the whole file and collects what it finds: the thrown error is the first problem
/// in file order, and `additional` holds the others (one line each in `description`).
public struct ScenarioError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file as it was named to the loader.
    public var file: String
    /// 1-based line of the offending node; nil when the file could not be read at all.
    public var line: Int?
    /// 1-based column (in unicode scalars) of the offending node; nil with `line`.
    public var column: Int?
    /// Where in the document: `fleet[0].autoscale.max`, `load.mix["dataset.index"]`; empty for the
    /// document itself (not YAML, empty, not a mapping) or an unreadable file.
    public var keyPath: String
    /// What the schema wants there, e.g. "a positive integer".
    public var expected: String
    /// What the file has instead, e.g. `"lots"`, `a list`, `unknown key "concurency"`; may be empty.
    public var found: String
    /// The reason as shown after the location and key path.
    public var message: String
    /// Further problems found in the same file, in file order (each with an empty `additional`).
    public var additional: [ScenarioError]

    public init(file: String, line: Int?, column: Int?, keyPath: String, expected: String, found: String,
                message: String? = nil, additional: [ScenarioError] = []) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.expected = expected
        self.found = found
        self.message = message ?? (found.isEmpty ? "expected \(expected)" : "expected \(expected), found \(found)")
        self.additional = additional
    }

    /// This problem alone on one line: `file:line:column: key.path: message`.
    public var headline: String {
        var out = ""
        if let line {
            out += "\(file):\(line):\(column ?? 1): "
        }
        if !keyPath.isEmpty { out += "\(keyPath): " }
        return out + message
    }

    /// This problem and the additional ones, one per line.
    public var description: String {
        ([headline] + additional.map(\.headline)).joined(separator: "\n")
    }

    /// This problem followed by the additional ones.
    public var all: [ScenarioError] {
        var first = self
        first.additional = []
        return [first] + additional
    }
}
