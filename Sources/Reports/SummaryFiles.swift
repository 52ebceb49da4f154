import Foundation

/// Writes a run's summary.json and timeline.csv into an output folder.
///
/// JSON keys are sorted and snake_case so two runs of the same seed produce byte-identical files
/// that diff cleanly and that `lovage compare` can read back.
public enum SummaryFiles {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
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
        var csv = "at_seconds,queued,running,workers,pool_size,memory_bytes,succeeded,failed,retried,queue_wait_p50_us,queue_wait_p99_us\n"
        for sample in summary.timeline {
            csv += "\(sample.atSeconds),\(sample.queued),\(sample.running),\(sample.workers),\(sample.poolSize),"
            csv += "\(sample.memoryBytes),\(sample.succeeded),\(sample.failed),\(sample.retried),"
            csv += "\(sample.queueWaitP50),\(sample.queueWaitP99)\n"
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: timelinePath))
        return [summaryPath, timelinePath]
    }

    /// Writes a baseline: the summary without its timeline (the gate compares figures, and a
    /// baseline file should stay small enough to review in a diff).
    public static func writeBaseline(_ summary: RunSummary, to path: String) throws {
        var trimmed = summary
        trimmed.timeline = []
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try encoder().encode(trimmed).write(to: URL(fileURLWithPath: path))
    }

    public static func read(path: String) throws -> RunSummary {
        try decoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
