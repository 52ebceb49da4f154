import Foundation
import Testing

/// `lovage plan` end to end through the built executable: the plan must not depend on how many
/// configurations run at once (nor on which finishes first), early stopping included.
@Suite("lovage plan over seeds: the same plan at any --jobs, seed refused as a setting")
struct PlanCommandTests {
    static var repository: URL {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }

    /// plan.json's text without its wall time, and the document parsed.
    static func plan(jobs: Int) throws -> (text: String, document: [String: Any]) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-plan-jobs\(jobs)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let scenario = repository.appendingPathComponent("scenarios/steady-mmc.yaml").path
        let outcome = try LovageProcess.run(["plan", scenario, "--slo", "queue_wait.p99 < 20ms", "--vary", "concurrency=2|3|4",
                                             "--seeds", "3", "--jobs", "\(jobs)", "--out", out.path, "--json"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let data = try Data(contentsOf: out.appendingPathComponent("plan.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(document["wall_seconds"] != nil)
        let text = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { !$0.contains("\"wall_seconds\"") }.joined(separator: "\n")
        return (text, document)
    }

    @Test("plan.json is the same with --jobs 1 and --jobs 2 apart from the wall time, and a failing configuration stops early")
    func sameAtAnyJobs() throws {
        let (oneText, one) = try Self.plan(jobs: 1)
        let (twoText, _) = try Self.plan(jobs: 2)
        #expect(oneText == twoText)
        let rows = try #require(one["rows"] as? [[String: Any]])
        #expect(rows.count == 3)
        // concurrency=2 misses 20 ms on its first seed: with 3 seeds at 90% none may fail, so it stops there.
        #expect(rows[0]["stopped_early"] as? Bool == true && rows[0]["seeds_run"] as? Int == 1)
        #expect(rows[2]["stopped_early"] as? Bool == false && rows[2]["seeds_run"] as? Int == 3)
        #expect(one["seeds"] as? [Int] == [11, 12, 13])
        #expect(one["objectives"] as? [String] == ["queue_wait.p99 < 20ms", "leftover == 0", "lost == 0"])
        #expect(one["cheapest"] as? Int != nil)
    }

    @Test("bad input exits 2 naming the option: --vary seed=… (use --seeds), --confidence 90, --seeds 0, autoscale without |")
    func badInput() throws {
        let scenario = Self.repository.appendingPathComponent("scenarios/steady-mmc.yaml").path
        let cases: [([String], String)] = [
            (["--vary", "seed=1...5"], "use --seeds"),
            (["--vary", "concurrency=2,3", "--confidence", "90"], "did you mean 90%"),
            (["--vary", "concurrency=2,3", "--seeds", "0"], "--seeds 0"),
            (["--vary", "autoscale=8,2,16,4"], "autoscale=8,2|16,4|off"),
        ]
        for (arguments, message) in cases {
            let outcome = try LovageProcess.run(["plan", scenario, "--slo", "queue_wait.p99 < 20ms"] + arguments)
            #expect(outcome.status == 2, "\(arguments): \(outcome.standardError)")
            #expect(outcome.standardError.contains(message), "\(arguments): \(outcome.standardError)")
        }
    }

    @Test("simulate --figures-only --seeds runs each seed as a run of its own would: the same trace hash, one summary per line")
    func batchMatchesSingleRuns() throws {
        let scenario = Self.repository.appendingPathComponent("scenarios/steady-mmc.yaml").path
        let batch = try LovageProcess.run(["simulate", scenario, "--figures-only", "--seeds", "11,12", "--set", "concurrency=3"])
        #expect(batch.status == 0, "\(batch.standardError)")
        let lines = batch.standardOutput.split(separator: "\n")
        #expect(lines.count == 2)
        func hash(_ text: Substring) throws -> String? {
            (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["trace_hash"] as? String
        }
        for (index, seed) in ["11", "12"].enumerated() where index < lines.count {
            let single = try LovageProcess.run(["simulate", scenario, "--figures-only", "--seed", seed, "--set", "concurrency=3"])
            #expect(try hash(lines[index]) != nil)
            #expect(try hash(lines[index]) == hash(Substring(single.standardOutput)), "seed \(seed)")
        }
    }
}
