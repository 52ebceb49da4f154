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
            let line = Self.trimmed(bytes, start..<end)
            start = end + 1
            if line.isEmpty { continue }
            func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
            // Rows are scanned as bytes (no string per field but the task's): a trace can be long.
            var commas: [Int] = []
            for index in line where bytes[index] == UInt8(ascii: ",") { commas.append(index); if commas.count > 2 { break } }
            guard sawHeader else {
                let fields = commas.count == 1 ? [Self.trimmed(bytes, line.lowerBound..<commas[0]), Self.trimmed(bytes, (commas[0] + 1)..<line.upperBound)].map(text) : []
                guard fields == ["at", "task"] else {
                    fail(lineNumber, "expected the header at,task, found \(quoted(text(line)))")
                    return nil
                }
                sawHeader = true
                continue
            }
            guard commas.count == 1, let comma = commas.first else {
                fail(lineNumber, "expected two columns (at,task), found \(commas.count > 2 ? "more" : String(commas.count + 1)): \(quoted(text(line)))")
                return nil
            }
            let atField = Self.trimmed(bytes, line.lowerBound..<comma)
            guard let micros = Self.microseconds(bytes[atField]) else {
                fail(lineNumber, "at: expected a decimal number of seconds >= 0, like 12.5, found \(quoted(text(atField)))")
                return nil
            }
            let at = TimeSpan(microseconds: micros)
            if let last = offsets.last, at < last {
                fail(lineNumber, "at: rows must be in time order, but \(text(atField)) comes after \(Self.secondsText(last))")
                return nil
            }
            if let duration, at > duration {
                fail(lineNumber, "at: \(text(atField)) s is beyond the scenario's duration (\(DurationText.format(duration)))")
                return nil
            }
            let name = text(Self.trimmed(bytes, (comma + 1)..<line.upperBound))
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

    /// `range` of `bytes` without surrounding spaces, tabs and a Windows line end.
    static func trimmed(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int> {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, isSpace(bytes[lower]) { lower += 1 }
        while upper > lower, isSpace(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// Digits with at most one decimal point (no sign, exponent, inf or nan) as whole microseconds,
    /// rounded at the seventh decimal; nil for anything else or beyond a million hours.
    static func microseconds(_ digits: ArraySlice<UInt8>) -> Int64? {
        var whole: Int64 = 0, fraction: Int64 = 0, fractionDigits = 0, sawDigit = false, sawPoint = false, roundUp = false
        for byte in digits {
            if byte == UInt8(ascii: ".") {
                guard !sawPoint else { return nil }
                sawPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            sawDigit = true
            let digit = Int64(byte - UInt8(ascii: "0"))
            if !sawPoint {
                whole = whole * 10 + digit
                if whole > 3_600_000_000 { return nil }
            } else if fractionDigits < 6 {
                fraction = fraction * 10 + digit
                fractionDigits += 1
            } else if fractionDigits == 6 {
                roundUp = digit >= 5
                fractionDigits += 1
            }
        }
        guard sawDigit else { return nil }
        for _ in min(fractionDigits, 6)..<6 { fraction *= 10 }
        return whole * 1_000_000 + fraction + (roundUp ? 1 : 0)
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
