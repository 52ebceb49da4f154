import Foundation
import Testing

/// The default text summary of `lovage simulate`: a scenario that misroutes a task is refused
/// (exit 2), and one that strands work on purpose says so before its percentiles, with units.
@Suite("lovage simulate: stranded work in the text summary")
struct StrandedRunTextTests {
    static func scenario(_ extra: String) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-strand-\(UUID().uuidString).yaml")
        try """
        name: strand
        duration: 30s
        drain: 30s
        \(extra)
        fleet:
          - name: w
            queues: [dify]
        tasks:
          - name: upload
            queue: dfy
          - name: chat
            queue: dify
        load:
          phases:
            - {duration: 30s, rate: 4/s}
          mix: {upload: 1, chat: 1}
        assertions:
          - queue_wait.p99 < 10s
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("a misspelt queue is refused before anything runs")
    func refused() throws {
        let file = try Self.scenario("")
        defer { try? FileManager.default.removeItem(at: file) }
        let outcome = try LovageProcess.run(["simulate", file.path, "--no-trace", "--out", file.path + ".out"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains(":10:12: tasks[0].queue: task \"upload\" is published to queue \"dfy\""))
        #expect(outcome.standardError.contains("Did you mean \"dify\"?"))
        #expect(!FileManager.default.fileExists(atPath: file.path + ".out/summary.json"))
    }

    @Test("stranded on purpose: WARNING before the percentiles, censored count, per-type rows, failing wait SLO")
    func warned() throws {
        let file = try Self.scenario("unconsumed_queues: [dfy]")
        let out = file.path + ".out"
        defer { try? FileManager.default.removeItem(at: file); try? FileManager.default.removeItem(atPath: out) }
        let outcome = try LovageProcess.run(["simulate", file.path, "--no-trace", "--out", out])
        #expect(outcome.status == 1)
        let text = outcome.standardOutput
        let warning = try #require(text.range(of: "WARNING   "))
        let table = try #require(text.range(of: "queue wait  "))
        #expect(warning.lowerBound < table.lowerBound)
        #expect(text.contains("tasks never started, counted as waiting until the end of the run (censored)"))
        #expect(text.contains("  upload "))
        #expect(text.contains("  FAIL  queue_wait.p99 < 10s"))
        // Every duration in the percentile rows has a unit, zero included ("0s", never a bare 0).
        let runTime = try #require(text.split(separator: "\n").first { $0.hasPrefix("run time") })
        let cells = runTime.dropFirst("run time".count).split(separator: " ")
        #expect(cells.count == 4)
        #expect(cells.allSatisfy { $0.hasSuffix("s") })
        let upload = try #require(text.split(separator: "\n").first { $0.hasPrefix("  upload") })
        #expect(upload.hasSuffix("0s         0s"), "no run time for a type that never ran, still with a unit")
    }
}
