@testable import WorkerMetrics

/// Reading samples back from the registry's text: `value("name", ["label": "v"])`.
struct ExpositionText {
    let lines: [Substring]

    init(_ registry: MetricsRegistry) { lines = registry.exposition().split(separator: "\n") }

    /// The value of the one sample of `metric` whose labels are exactly `labels` (nil if none).
    func value(_ metric: String, _ labels: [String: String] = [:]) -> Double? {
        for line in lines where !line.hasPrefix("#") {
            let name = line.prefix { $0 != "{" && $0 != " " }
            guard name == metric else { continue }
            var found: [String: String] = [:]
            if let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") {
                for pair in line[line.index(after: open)..<close].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    found[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            }
            guard found == labels, let number = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            return number
        }
        return nil
    }
}
