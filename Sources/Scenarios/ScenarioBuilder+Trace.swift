import WorkerCore
import Yams

/// `load.trace: FILE`: a CSV of recorded arrivals (`at,task`, `at` in seconds from the start of the
/// load) read and checked when the scenario is loaded, so a bad row stops the run before it starts.
///
/// A trace can hold a million rows, so the file is scanned as bytes and stored as two flat arrays
/// (`LoadTrace`). Problems inside the file are reported at the file's own line (the first one only:
/// a broken export tends to break every row the same way).
extension ScenarioBuilder {
    func readTrace(_ node: Node, _ path: String, duration: TimeSpan?, tasks: Names) -> LoadTrace? {
        guard let written = reader.string(node, path, expected: "a CSV file of arrivals (at,task), relative to the scenario")
        else { return nil }
        let file = LoadTrace(path: written, offsets: [], taskOfRow: [], taskNames: []).file(besides: sourcePath)
        let text: String
        do {
            text = try ScenarioLoader.readFile(file)
        } catch {
            reader.fail(node, path, expected: "a readable CSV file", found: error.found,
                        message: "cannot read the trace \(file): \(error.found)")
            return nil
        }
        func fail(_ line: Int, _ message: String) {
            reader.record(ScenarioError(file: file, line: line, column: 1, keyPath: path, expected: "", found: "",
                                        message: message))
        }
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) } // a spreadsheet's byte order mark
        var offsets: [TimeSpan] = []
        var taskOfRow: [Int32] = []
        var taskNames: [String] = []
        var indexOfName: [String: Int32] = [:]
        var lineNumber = 0
        var sawHeader = false
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            lineNumber += 1
            let line = String(decoding: bytes[start..<end], as: UTF8.self)
            start = end + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(Self.trimmed)
            if fields.count == 1 && fields[0].isEmpty { continue }
            guard sawHeader else {
                guard fields == ["at", "task"] else {
                    fail(lineNumber, "expected the header at,task, found \(quoted(Self.trimmed(Substring(line))))")
                    return nil
                }
                sawHeader = true
                continue
            }
            guard fields.count == 2 else {
                fail(lineNumber, "expected two columns (at,task), found \(fields.count): \(quoted(Self.trimmed(Substring(line))))")
                return nil
            }
            guard let seconds = Self.decimal(fields[0]) else {
                fail(lineNumber, "at: expected a decimal number of seconds >= 0, like 12.5, found \(quoted(fields[0]))")
                return nil
            }
            let at = TimeSpan(microseconds: Int64((seconds * 1_000_000).rounded()))
            if let last = offsets.last, at < last {
                fail(lineNumber, "at: rows must be in time order, but \(fields[0]) comes after \(Self.secondsText(last))")
                return nil
            }
            if let duration, at > duration {
                fail(lineNumber, "at: \(fields[0]) s is beyond the scenario's duration (\(DurationText.format(duration)))")
                return nil
            }
            let name = fields[1]
            var index = indexOfName[name]
            if index == nil {
                if tasks.complete && !tasks.list.contains(name) {
                    fail(lineNumber, "task: expected a task declared in tasks (\(tasks.list.joined(separator: ", "))), "
                                     + "found unknown task \(quoted(name))" + NearestName.hint(for: name, among: tasks.list))
                    return nil
                }
                index = Int32(taskNames.count)
                indexOfName[name] = index
                taskNames.append(name)
            }
            offsets.append(at)
            taskOfRow.append(index!)
        }
        guard sawHeader else { fail(1, "expected the header at,task, found an empty file"); return nil }
        guard !offsets.isEmpty else { fail(lineNumber, "expected at least one row after the header at,task"); return nil }
        return LoadTrace(path: written, offsets: offsets, taskOfRow: taskOfRow, taskNames: taskNames)
    }

    /// Without surrounding spaces, tabs and a Windows line end.
    static func trimmed(_ text: Substring) -> String {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" || last == "\r\n" { text.removeLast() }
        return String(text)
    }

    /// Digits with at most one decimal point (no sign, exponent, inf or nan).
    static func decimal(_ text: String) -> Double? {
        var digits = 0, points = 0
        for scalar in text.unicodeScalars {
            if NumberScanner.isDigit(scalar) { digits += 1 } else if scalar == "." { points += 1 } else { return nil }
        }
        guard digits > 0, points <= 1, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    static func secondsText(_ span: TimeSpan) -> String {
        let whole = span.microseconds / 1_000_000, fraction = span.microseconds % 1_000_000
        guard fraction != 0 else { return "\(whole)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
