import WorkerCore

/// What kind of quantity a summary metric is, which decides how an assertion's value is read
/// and in which unit its threshold is stored.
public enum MetricKind: String, Sendable, Equatable, CaseIterable {
    /// A plain number (a count of tasks, workers, messages...). Written as a number.
    case count
    /// Tasks per second. Written `250/s`, `15000/m` or a bare number (per second).
    case rate
    /// A time, stored in MICROSECONDS. Written `30s`, `250ms`, `1m30s` or a bare number of seconds.
    case time
    /// A size in bytes. Written `64MiB`, `100MB` or a bare number of bytes.
    case size

    /// The unit of a threshold of this kind, for messages and reports.
    public var unitName: String {
        switch self {
        case .count: return "count"
        case .rate: return "tasks/s"
        case .time: return "microseconds"
        case .size: return "bytes"
        }
    }

    /// How a value of this kind is written, for messages.
    var expectation: String {
        switch self {
        case .count: return "a non-negative number"
        case .rate: return "a rate like 250/s or a number of tasks per second"
        case .time: return "a duration like 30s or 250ms (a bare number means seconds)"
        case .size: return "a size like 64MiB or a number of bytes"
        }
    }
}

/// The metrics of a run's summary that assertions may check.
public enum Metrics {
    /// The statistics kept for each time distribution: `queue_wait.p99`, `run_time.mean`...
    public static let timeStatistics = ["p50", "p90", "p99", "max", "mean"]

    /// Every known metric with its kind, in the order reports list them.
    public static let all: [(name: String, kind: MetricKind)] = {
        var list: [(String, MetricKind)] = []
        for name in ["published", "succeeded", "failed", "retried", "revoked", "rejected", "duplicates", "lost",
                     "leftover", "invariant_violations", "restored", "worker_lost", "recycled", "oom_killed"] {
            list.append((name, .count))
        }
        list.append(("throughput", .rate))
        for family in ["queue_wait", "run_time", "latency"] {
            for statistic in timeStatistics { list.append(("\(family).\(statistic)", .time)) }
        }
        for statistic in timeStatistics { list.append(("pipeline.latency.\(statistic)", .time)) }
        for name in ["pipelines_started", "pipelines_completed", "pipelines_failed", "pipelines_stuck", "joins_stuck"] {
            list.append((name, .count))
        }
        for name in ["periodic_sends", "periodic_due", "periodic_duplicates", "periodic_missed"] { list.append((name, .count)) }
        list.append(("peak_memory", .size))
        for name in ["peak_queue_depth", "peak_workers", "mean_workers", "peak_running"] { list.append((name, .count)) }
        return list
    }()

    /// The names of `all`, in order.
    public static let known: [String] = all.map(\.name)

    /// The kind of a metric, or nil when it is not known.
    public static func kind(of metric: String) -> MetricKind? {
        all.first { $0.name == metric }?.kind
    }
}

/// Why an assertion's text could not be read.
public struct AssertionSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the assertion should look like at the point of failure.
    public var expected: String
    /// What was there instead, quoted.
    public var found: String
    public var description: String { "expected \(expected), found \(found)" }
}

extension Assertion {
    /// Every metric an assertion may name (the same list as `Metrics.known`).
    public static let knownMetrics: [String] = Metrics.known

    /// The kind of a known metric (count, rate, time in microseconds, size in bytes).
    public static func kind(of metric: String) -> MetricKind? { Metrics.kind(of: metric) }

    /// The comparisons, longest spelling first so `<=` is not read as `<`.
    static let comparisonSpellings: [String] = ["<=", ">=", "==", "!=", "<", ">"]

    /// Reads `METRIC OP VALUE`, like `queue_wait.p99 < 30s`, `lost == 0`, `throughput >= 250/s`,
    /// `peak_memory < 1GiB`. Times are stored in microseconds, sizes in bytes, rates per second.
    public static func parse(_ text: String) throws(AssertionSyntaxError) -> Assertion {
        let scalars = Array(text.unicodeScalars)
        // The metric: letters, digits, `_` and `.`.
        var index = 0
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
        var metric = ""
        while index < scalars.count, scalars[index].properties.isAlphabetic || NumberScanner.isDigit(scalars[index])
                || scalars[index] == "_" || scalars[index] == "." {
            metric.unicodeScalars.append(scalars[index]); index += 1
        }
        let shape = "an assertion like \"queue_wait.p99 < 30s\" (METRIC OP VALUE)"
        guard !metric.isEmpty else {
            throw AssertionSyntaxError(expected: shape, found: quoted(text))
        }
        guard let kind = Metrics.kind(of: metric) else {
            throw AssertionSyntaxError(
                expected: "a known metric (\(Metrics.known.joined(separator: ", ")))",
                found: "unknown metric \(quoted(metric))\(NearestName.hint(for: metric, among: Metrics.known)) in \(quoted(text))")
        }
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
        var opText = ""
        while index < scalars.count, "<>=!".unicodeScalars.contains(scalars[index]) {
            opText.unicodeScalars.append(scalars[index]); index += 1
        }
        guard let comparison = Comparison(rawValue: opText) else {
            let found = opText.isEmpty
                ? (index < scalars.count ? quoted(String(String.UnicodeScalarView(scalars[index...]))) : "nothing")
                : quoted(opText)
            throw AssertionSyntaxError(
                expected: "a comparison (\(comparisonSpellings.joined(separator: ", "))) after \(metric) in \(quoted(text))",
                found: found)
        }
        let valueText = String(String.UnicodeScalarView(scalars[index...]))
            .trimmed(" \t")
        let threshold: Double?
        switch kind {
        case .count:
            threshold = DecimalValue.parse(valueText)
        case .rate:
            threshold = RateText.parse(valueText)
        case .time:
            threshold = DurationText.parse(valueText).map { Double($0.microseconds) }
        case .size:
            threshold = SizeText.parse(valueText).map(Double.init)
        }
        guard let threshold else {
            throw AssertionSyntaxError(
                expected: "\(kind.expectation) for \(metric) in \(quoted(text))",
                found: valueText.isEmpty ? "nothing" : quoted(valueText))
        }
        return Assertion(metric: metric, comparison: comparison, threshold: threshold, text: text)
    }
}

/// A plain non-negative decimal number (`0`, `12`, `0.5`).
enum DecimalValue {
    static func parse(_ text: String) -> Double? {
        var scanner = NumberScanner(text)
        guard let number = scanner.number(), scanner.atEnd else { return nil }
        return number.doubleValue
    }
}

func quoted(_ text: String) -> String {
    var out = "\""
    for character in text {
        switch character {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: out.append(character)
        }
    }
    return out + "\""
}

extension String {
    func trimmed(_ set: String) -> String {
        let characters = Set(set)
        var slice = self[...]
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
