import WorkerCore
import Yams

/// Builds key paths like `fleet[0].autoscale.max` or `load.mix["dataset.index"]`.
enum KeyPathText {
    static func child(_ parent: String, _ key: String) -> String {
        if isIdentifier(key) { return parent.isEmpty ? key : parent + "." + key }
        return parent + "[" + quoted(key) + "]"
    }

    static func index(_ parent: String, _ index: Int) -> String { "\(parent)[\(index)]" }

    static func isIdentifier(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return key.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || NumberScanner.isDigit($0) || $0 == "_" }
    }
}

/// The checked keys of one YAML mapping, in file order, with their nodes for marks.
struct Fields {
    struct Entry {
        var key: String
        var keyNode: Node
        var value: Node
    }

    let node: Node
    let path: String
    var entries: [Entry]
    /// Keys that were reported as unknown. When there are some, missing required keys are not
    /// reported as well: the unknown key is most likely the missing one misspelt.
    var unknownKeys: [String] = []

    /// The value of `key` when present and not null.
    subscript(key: String) -> Node? {
        guard let value = entries.first(where: { $0.key == key })?.value else { return nil }
        return value.isNullScalar ? nil : value
    }

    /// Whether `key` is written at all (even as null).
    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    func entry(_ key: String) -> Entry? { entries.first { $0.key == key } }

    func path(_ key: String) -> String { KeyPathText.child(path, key) }
}

extension Node {
    /// The resolved tag (`str`, `int`, `float`, `bool`, `null`, `merge`, `map`, `seq`...).
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }

    var isNullScalar: Bool {
        if case .scalar = self { return tagName == .null }
        return false
    }

    var scalarText: String? {
        if case let .scalar(scalar) = self { return scalar.string }
        return nil
    }
}

/// Reads typed values out of a composed YAML tree, recording a `ScenarioError` for each problem and
/// returning nil so the caller can go on and report more.
final class Reader {
    let file: String
    private(set) var errors: [ScenarioError] = []

    init(file: String) { self.file = file }

    // MARK: Recording problems

    func fail(_ node: Node?, _ path: String, expected: String, found: String, message: String? = nil) {
        let mark = node?.mark
        errors.append(ScenarioError(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, keyPath: path,
                                    expected: expected, found: found, message: message))
    }

    /// A problem found outside the YAML (in a file it names, such as a load trace).
    func record(_ error: ScenarioError) { errors.append(error) }

    func fail(_ node: Node?, _ path: String, expected: String, _ offending: Node) {
        fail(node, path, expected: expected, found: describe(offending))
    }

    /// How a node is shown after "found": `"lots"`, `-3`, `true`, `null`, `a list`, `a mapping`.
    func describe(_ node: Node) -> String {
        switch node {
        case let .scalar(scalar):
            switch node.tagName {
            case .null: return scalar.string.isEmpty ? "nothing" : scalar.string
            case .int, .float, .bool: return scalar.string
            default: return quoted(scalar.string)
            }
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    // MARK: Containers

    /// The mapping at `node`, with every key checked against `allowed`. YAML merge keys (`<<: *anchor`)
    /// are applied, explicit keys winning.
    func fields(_ node: Node, _ path: String, allowed: [String], expected: String = "a mapping") -> Fields? {
        guard case let .mapping(mapping) = node else {
            fail(node, path, expected: expected, node)
            return nil
        }
        var entries: [Fields.Entry] = []
        var merged: [Fields.Entry] = []
        var unknown: [String] = []
        for (keyNode, value) in mapping {
            guard case let .scalar(keyScalar) = keyNode else {
                fail(keyNode, path, expected: "a plain key (one of \(allowed.joined(separator: ", ")))", keyNode)
                continue
            }
            if keyNode.tagName == .merge {
                for source in (value.sequence.map(Array.init) ?? [value]) {
                    guard let inner = fields(source, path, allowed: allowed, expected: "a mapping to merge") else { continue }
                    merged += inner.entries
                }
                continue
            }
            let key = keyScalar.string
            guard allowed.contains(key) else {
                unknown.append(key)
                let list = allowed.joined(separator: ", ")
                let hint = NearestName.hint(for: key, among: allowed)
                fail(keyNode, KeyPathText.child(path, key), expected: "one of \(list)", found: "unknown key \(quoted(key))",
                     message: "unknown key \(quoted(key))\(hint); allowed keys: \(list)")
                continue
            }
            entries.append(Fields.Entry(key: key, keyNode: keyNode, value: value))
        }
        for entry in merged where !entries.contains(where: { $0.key == entry.key }) {
            entries.append(entry)
        }
        return Fields(node: node, path: path, entries: entries, unknownKeys: unknown)
    }

    /// The value of a required key; records "missing required key" at the mapping when absent or null.
    func required(_ fields: Fields, _ key: String, what: String) -> Node? {
        if let value = fields[key] { return value }
        if let entry = fields.entry(key) {
            fail(entry.value, fields.path(key), expected: what, entry.value)
        } else if fields.unknownKeys.isEmpty {
            fail(fields.node, fields.path(key), expected: what, found: "",
                 message: "missing required key \(quoted(key)) (\(what))")
        }
        return nil
    }

    func list(_ node: Node, _ path: String, expected: String = "a list") -> [Node]? {
        guard case let .sequence(sequence) = node else {
            fail(node, path, expected: expected, node)
            return nil
        }
        return Array(sequence)
    }

    // MARK: Scalars

    /// A string: any scalar but null and booleans (numbers are taken as written).
    func string(_ node: Node, _ path: String, expected: String = "a string", allowEmpty: Bool = false) -> String? {
        guard case let .scalar(scalar) = node, node.tagName != .null, node.tagName != .bool else {
            fail(node, path, expected: expected, node)
            return nil
        }
        if !allowEmpty && scalar.string.trimmed(" \t").isEmpty {
            fail(node, path, expected: expected, found: "an empty string")
            return nil
        }
        return scalar.string
    }

    func bool(_ node: Node, _ path: String) -> Bool? {
        guard node.tagName == .bool, let value = node.bool else {
            fail(node, path, expected: "true or false", node)
            return nil
        }
        return value
    }

    func int(_ node: Node, _ path: String, in range: ClosedRange<Int>, expected: String) -> Int? {
        guard node.tagName == .int, let value = node.int, range.contains(value) else {
            fail(node, path, expected: expected, node)
            return nil
        }
        return value
    }

    /// A finite number written as an integer or a decimal, accepted by `isValid`.
    func number(_ node: Node, _ path: String, expected: String, isValid: (Double) -> Bool) -> Double? {
        if let value = numericValue(node), isValid(value) { return value }
        fail(node, path, expected: expected, node)
        return nil
    }

    func numericValue(_ node: Node) -> Double? {
        switch node.tagName {
        case .int: return node.int.map(Double.init)
        case .float:
            guard let value = node.float, value.isFinite else { return nil }
            return value
        default: return nil
        }
    }

    func probability(_ node: Node, _ path: String) -> Double? {
        number(node, path, expected: "a probability from 0 to 1") { $0 >= 0 && $0 <= 1 }
    }

    /// A duration: `250ms`, `1m30s`, or a bare number of seconds.
    ///
    /// - Parameter subSecondUnit: for a key whose values are typically under a second
    ///   (`child_handoff`, `latency`...), the unit they are usually written in (`us`, `ms`): a bare
    ///   non-zero number is then refused with the likely fix (`300` → "did you mean 300us?"),
    ///   because read as seconds it is thousands of times what was meant.
    func duration(_ node: Node, _ path: String, positive: Bool = false, subSecondUnit: String? = nil) -> TimeSpan? {
        let shape = positive ? "a positive duration like 250ms, 1.5s, 2m or 1m30s"
                             : "a duration like 250ms, 1.5s, 2m or 1m30s"
        let span: TimeSpan
        switch node.tagName {
        case .int, .float:
            guard let seconds = numericValue(node) else {
                fail(node, path, expected: shape, node)
                return nil
            }
            if let unit = subSecondUnit, seconds > 0 {
                refuseBareSubSecond(node, path, seconds: seconds, unit: unit)
                return nil
            }
            guard seconds >= 0 else {
                fail(node, path, expected: positive ? "a positive duration" : "a non-negative duration", node)
                return nil
            }
            let micros = (seconds * 1_000_000).rounded()
            guard micros < 9.2e18 else {
                fail(node, path, expected: "a duration that fits in 292,000 years", node)
                return nil
            }
            span = TimeSpan(microseconds: Int64(micros))
        case .str:
            let text = node.scalarText ?? ""
            guard let parsed = DurationText.parse(text) else {
                if text.trimmed(" \t").hasPrefix("-") {
                    fail(node, path, expected: positive ? "a positive duration" : "a non-negative duration", node)
                } else {
                    fail(node, path, expected: shape, node)
                }
                return nil
            }
            span = parsed
        default:
            fail(node, path, expected: shape, node)
            return nil
        }
        if positive && span.microseconds <= 0 {
            fail(node, path, expected: "a positive duration", node)
            return nil
        }
        return span
    }

    /// "300 is read as 300 s; did you mean 300us?": a bare number where a unit was most likely meant.
    private func refuseBareSubSecond(_ node: Node, _ path: String, seconds: Double, unit: String) {
        let written = node.scalarText ?? String(seconds)
        let likely: String
        if seconds >= 1 {
            likely = "did you mean \(written)\(unit)?"
        } else {
            let span = TimeSpan(microseconds: Int64((seconds * 1_000_000).rounded()))
            likely = "write it with its unit: \(DurationText.format(span))"
        }
        fail(node, path, expected: "a duration with its unit, like 300us or 2ms", found: written,
             message: "\(written) is read as \(written) s; \(likely) (a bare number means seconds, and this "
                 + "setting is typically under a second, so here it must carry its unit)")
    }

    /// A size: `64MiB`, `100MB`, or a bare number of bytes.
    func size(_ node: Node, _ path: String, positive: Bool = false) -> Int64? {
        let shape = positive ? "a positive size like 64MiB, 512KiB or 100MB" : "a size like 64MiB, 512KiB or 100MB"
        var bytes: Int64?
        switch node.tagName {
        case .int:
            if let value = node.int, value >= 0 { bytes = Int64(value) }
        case .str:
            bytes = SizeText.parse(node.scalarText ?? "")
        default:
            break
        }
        guard let bytes, !positive || bytes > 0 else {
            fail(node, path, expected: shape, node)
            return nil
        }
        return bytes
    }

    /// A rate in tasks per second: `100/s`, `6000/m`, or a bare number per second.
    func rate(_ node: Node, _ path: String, allowZero: Bool = false) -> Double? {
        let shape = allowZero ? "a rate like 100/s, 6000/m or 10/h"
                              : "a positive rate like 100/s, 6000/m or 10/h"
        var perSecond: Double?
        switch node.tagName {
        case .int, .float:
            perSecond = numericValue(node)
        case .str:
            perSecond = RateText.parse(node.scalarText ?? "")
        default:
            break
        }
        guard let perSecond, perSecond.isFinite, perSecond > 0 || (allowZero && perSecond == 0) else {
            fail(node, path, expected: shape, node)
            return nil
        }
        return perSecond
    }

    /// One of a fixed set of words.
    func choice(_ node: Node, _ path: String, _ options: [String]) -> String? {
        let expected = "one of " + options.joined(separator: ", ")
        guard case let .scalar(scalar) = node, options.contains(scalar.string), node.tagName == .str else {
            let hint = node.scalarText.map { NearestName.hint(for: $0, among: options) } ?? ""
            fail(node, path, expected: expected, found: describe(node) + hint)
            return nil
        }
        return scalar.string
    }

    /// A list of strings (a single string is not taken as a one-element list).
    func strings(_ node: Node, _ path: String, expected: String = "a list of strings", nonEmpty: Bool = false) -> [String]? {
        guard let items = list(node, path, expected: expected) else { return nil }
        var out: [String] = []
        var ok = true
        for (index, item) in items.enumerated() {
            if let text = string(item, KeyPathText.index(path, index)) { out.append(text) } else { ok = false }
        }
        if nonEmpty && items.isEmpty {
            fail(node, path, expected: expected.hasPrefix("a ") ? "at least one entry" : expected, found: "an empty list")
            return nil
        }
        return ok ? out : nil
    }
}
