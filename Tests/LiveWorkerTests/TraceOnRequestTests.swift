import Foundation
import Testing

/// `lovage simulate` writes trace.jsonl only with `--trace` (a default run of the one-hour benchmark
/// used to leave 1.6 GB behind), prints the same trace hash either way, and says how to get the
/// trace; `lovage replay` regenerates a task's events from the seed.
@Suite("trace file on request")
struct TraceOnRequestTests {
    static let scenario = CommandLineTests.path("scenarios/dify-default.yaml")

    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lovage-trace-on-request-\(UUID().uuidString)")
    }

    /// The hash from `--quiet`'s one line: `seed N trace HASH -> PATH`.
    static func quietHash(_ outcome: LovageProcess.Outcome) throws -> String {
        let words = outcome.standardOutput.split(separator: " ")
        try #require(words.count >= 4 && words[2] == "trace", "unexpected output: \(outcome.standardOutput) \(outcome.standardError)")
        return String(words[3])
    }

    @Test("the default writes no trace.jsonl, --trace writes it, and both print the same hash as --no-trace")
    func defaultWritesNoTrace() throws {
        let base = Self.folder()
        defer { try? FileManager.default.removeItem(at: base) }
        var hashes: [String: String] = [:]
        for (name, flags) in [("default", []), ("trace", ["--trace"]), ("no-trace", ["--no-trace"])] {
            let out = base.appendingPathComponent(name)
            let outcome = try LovageProcess.run(["simulate", Self.scenario, "--quiet", "--out", out.path] + flags)
            #expect(outcome.status == 0, "\(name): \(outcome.standardError)")
            hashes[name] = try Self.quietHash(outcome)
            let traceFile = out.appendingPathComponent("trace.jsonl").path
            #expect(FileManager.default.fileExists(atPath: traceFile) == (name == "trace"), "\(name)")
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.json").path), "\(name)")
        }
        #expect(hashes["default"] == hashes["trace"])
        #expect(hashes["no-trace"] == hashes["trace"])

        // The file --trace wrote is the run's trace: JSON lines, ending with the `end` record that
        // counts the records before it.
        let text = try String(contentsOfFile: base.appendingPathComponent("trace/trace.jsonl").path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count > 1000)
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        #expect(last["ev"] as? String == "end")
        #expect(last["records"] as? String == String(lines.count - 1))
    }

    @Test("the text summary says how to get the trace, and the replay it names prints the task's raw events from the same run")
    func summaryNamesTheWayToTheTrace() throws {
        let base = Self.folder()
        defer { try? FileManager.default.removeItem(at: base) }
        let plain = try LovageProcess.run(["simulate", Self.scenario, "--out", base.appendingPathComponent("plain").path])
        #expect(plain.status == 0, "\(plain.standardError)")
        #expect(plain.standardOutput.contains("trace     not written"), "\(plain.standardOutput.suffix(400))")
        #expect(plain.standardOutput.contains("add --trace for trace.jsonl"))
        #expect(plain.standardOutput.contains("lovage replay \(Self.scenario) --seed 42 --task ID --trace"), "\(plain.standardOutput.suffix(400))")
        #expect(!plain.standardOutput.contains("plain/trace.jsonl"), "no trace file is listed as written")
        #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("plain/trace.jsonl").path))

        let traced = try LovageProcess.run(["simulate", Self.scenario, "--trace", "--out", base.appendingPathComponent("traced").path])
        #expect(traced.status == 0, "\(traced.standardError)")
        #expect(!traced.standardOutput.contains("not written"))
        #expect(traced.standardOutput.contains(base.appendingPathComponent("traced/trace.jsonl").path))
        let hash = try #require(plain.standardOutput.split(separator: "\n").first { $0.hasPrefix("seed ") }?.split(separator: " ").last)

        let replay = try LovageProcess.run(["replay", Self.scenario, "--seed", "42", "--task", "t1", "--trace"])
        #expect(replay.status == 0, "\(replay.standardError)")
        #expect(replay.standardOutput.contains("trace     hash \(hash)"), "\(replay.standardOutput.prefix(300))")
        let rawEvents = replay.standardOutput.split(separator: "\n")
            .drop { !$0.hasSuffix("raw events:") }.dropFirst()
            .map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(rawEvents.count >= 4, "\(replay.standardOutput)")
        let fileLines = Set(try String(contentsOfFile: base.appendingPathComponent("traced/trace.jsonl").path, encoding: .utf8)
            .split(separator: "\n").map(String.init))
        for event in rawEvents {
            #expect(fileLines.contains(event), "replay's raw event is a line of simulate --trace's file: \(event)")
        }
    }

    @Test("--trace with --no-trace, and --trace for a real run, exit 2 naming the flag")
    func contradictionsAreRefused() throws {
        let both = try LovageProcess.run(["simulate", Self.scenario, "--trace", "--no-trace"])
        #expect(both.status == 2)
        #expect(both.standardError.contains("--trace and --no-trace contradict each other"), "\(both.standardError)")
        let real = try LovageProcess.run(["run", Self.scenario, "--mode", "redis", "--trace"])
        #expect(real.status == 2)
        #expect(real.standardError.contains("--trace is for --mode sim"), "\(real.standardError)")
    }
}
