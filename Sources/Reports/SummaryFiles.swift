import Foundation

/// Writes a run's summary.json and timeline.csv into an output folder.
///
/// JSON keys are sorted and snake_case so two runs of the same seed produce byte-identical files
/// that diff cleanly and that `lovage compare` can read back.
public enum SummaryFiles {
    /// - Parameter pretty: false writes the document on one line (a JSON-lines stream).
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// Creates `directory` if needed and writes summary.json and timeline.csv; returns their paths.
    @discardableResult
    public static func write(_ summary: RunSummary, to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let summaryPath = (directory as NSString).appendingPathComponent("summary.json")
        try encoder().encode(summary).write(to: URL(fileURLWithPath: summaryPath))
        let timelinePath = (directory as NSString).appendingPathComponent("timeline.csv")
        var csv = "at_seconds,published,started,succeeded,failed,retried,queued,held,unacked,running,workers,pool_size,"
        csv += "memory_bytes,queue_wait_p50_us,queue_wait_p99_us,recycled"
        let scaled = summary.timeline.contains { $0.fleet != nil }
        if scaled { csv += ",desired_workers,keda_list_length,celery_backlog" }
        for list in summary.timelineLists { csv += ",queued[\(list)]" }
        csv += "\n"
        for sample in summary.timeline {
            csv += "\(sample.atSeconds),\(sample.published),\(sample.started),\(sample.succeeded),\(sample.failed),"
            csv += "\(sample.retried),\(sample.queued),\(sample.held),\(sample.unacked),\(sample.running),"
            csv += "\(sample.workers),\(sample.poolSize),\(sample.memoryBytes),\(sample.queueWaitP50),\(sample.queueWaitP99),\(sample.recycled)"
            if scaled {
                let fleet = sample.fleet
                csv += ",\(fleet?.desiredWorkers ?? 0),\(fleet?.kedaListLength ?? 0),\(fleet?.celeryBacklog ?? 0)"
            }
            for index in summary.timelineLists.indices {
                csv += ",\(index < sample.queuedByList.count ? sample.queuedByList[index] : 0)"
            }
            csv += "\n"
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: timelinePath))
        return [summaryPath, timelinePath]
    }

    /// Writes a baseline: the summary without its timeline (the gate compares figures, and a
    /// baseline file should stay small enough to review in a diff).
    public static func writeBaseline(_ summary: RunSummary, to path: String) throws {
        var trimmed = summary
        trimmed.timeline = []
        trimmed.timelineLists = []
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try encoder().encode(trimmed).write(to: URL(fileURLWithPath: path))
    }

    public static func read(path: String) throws -> RunSummary {
        try decoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
