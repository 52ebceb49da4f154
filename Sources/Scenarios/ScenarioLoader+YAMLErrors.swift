import Yams

/// Turns Yams errors into `ScenarioError`s that point at the offending line and column.
extension ScenarioLoader {
    static func yamlError(_ error: any Error, file: String, yaml: String) -> ScenarioError {
        func make(_ mark: (line: Int, column: Int)?, _ problem: String, _ context: YamlError.Context?) -> ScenarioError {
            var message = "invalid YAML: \(problem)"
            if let context, !context.text.isEmpty {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return ScenarioError(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, keyPath: "",
                                 expected: "valid YAML", found: problem, message: message)
        }
        guard let yamlError = error as? YamlError else {
            return make(nil, "\(error)", nil)
        }
        switch yamlError {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return make((mark.line, mark.column), problem, context)
        case let .reader(problem, offset, _, _):
            var line = 1, column = 1
            if let offset {
                for byte in yaml.utf8.prefix(offset) {
                    if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
                }
            }
            return make((line, column), problem, nil)
        case let .duplicatedKeysInMapping(duplicates, context):
            // Yams marks the first occurrence; point at the repetition when it can be found.
            let first = (line: context.mark.line, column: context.mark.column)
            let key = duplicates.first ?? ""
            let repeated = repetition(of: key, after: first, in: yaml) ?? first
            let keys = duplicates.map(quoted).joined(separator: ", ")
            let message = repeated == first ? "duplicate key \(keys) in one mapping"
                : "duplicate key \(keys) in one mapping (first written at line \(first.line))"
            return ScenarioError(file: file, line: repeated.line, column: repeated.column, keyPath: "",
                                 expected: "each key once in a mapping", found: "duplicate key \(keys)",
                                 message: message)
        default:
            return make(nil, "\(yamlError)", nil)
        }
    }

    /// Where `key` is written again as a key of the same mapping after its first occurrence at `first`:
    /// in block style at the same column on a later line, in flow style after a `,` on the way.
    static func repetition(of key: String, after first: (line: Int, column: Int), in yaml: String)
        -> (line: Int, column: Int)? {
        guard !key.isEmpty else { return nil }
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        let keyScalars = Array(key.unicodeScalars)
        func isKey(at index: Int, in line: [Unicode.Scalar]) -> Bool {
            guard index + keyScalars.count <= line.count, Array(line[index..<index + keyScalars.count]) == keyScalars
            else { return false }
            var next = index + keyScalars.count
            while next < line.count, line[next] == " " { next += 1 }
            return next < line.count && line[next] == ":"
        }
        guard first.line >= 1, first.line <= lines.count else { return nil }
        // Flow style: later on the same line, after a comma.
        let firstLine = lines[first.line - 1]
        var index = first.column - 1 + keyScalars.count
        var afterComma = false
        while index < firstLine.count {
            let scalar = firstLine[index]
            if scalar == "," { afterComma = true } else if scalar != " " {
                if afterComma && isKey(at: index, in: firstLine) { return (first.line, index + 1) }
                afterComma = false
            }
            index += 1
        }
        // Block style: a later line of the same mapping with the key at the same column.
        let column = first.column - 1
        for lineIndex in first.line..<lines.count {
            let line = lines[lineIndex]
            guard let firstText = line.firstIndex(where: { $0 != " " }), line[firstText] != "#" else { continue }
            if firstText < column { return nil } // the mapping ended (a new list item, a parent key...)
            if firstText == column, isKey(at: column, in: line) { return (lineIndex + 1, column + 1) }
        }
        return nil
    }
}
