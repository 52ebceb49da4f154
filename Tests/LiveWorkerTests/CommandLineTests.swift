import CeleryWire
import Foundation
import RedisClient
import PrivateRedis
import Testing

/// The command line as documented: exit 2 for bad input (never ArgumentParser's 64), `--version`,
/// `-b`, durations with units, and `--json` reports that parse.
@Suite("lovage command line")
struct CommandLineTests {
    /// The package root, so the tests find scenarios/ and results/ wherever `swift test` runs.
    static let root: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(text.prefix(200))")
    }

    @Test("bad input exits 2 with a message naming the option, not ArgumentParser's 64", arguments: [
        (["enqueue", "lovage.add", "--countdown", "5x"], "--countdown"),
        (["enqueue", "lovage.add", "--bogus"], "--bogus"),
        (["simulate", "scenarios/dify-default.yaml", "--seed", "minus-one"], "--seed"),
        (["worker", "--time-limit", "1parsec"], "--time-limit"),
        (["worker", "--heartbeat-interval", "0s", "--wait-for-broker", "0"], "--heartbeat-interval must be longer than 0s"),
        (["worker", "--time-limit", "0", "--wait-for-broker", "0"], "--time-limit must be longer than 0s"),
        (["worker", "--max-memory-per-child", "200 parsecs"], "expected a memory size such as 200000 (KiB"),
        (["worker", "--max-memory-per-child", "1.5"], "--max-memory-per-child"),
        (["replay"], "<file>"),
        (["explore", "scenarios/dify-default.yaml", "--jobs", "0"], "--jobs"),
        (["no-such-command"], "no-such-command"),
    ])
    func badInputExitsTwo(arguments: [String], phrase: String) throws {
        let outcome = try LovageProcess.run(arguments)
        #expect(outcome.status == 2, "\(arguments): \(outcome.standardError)")
        #expect(outcome.standardError.contains(phrase), "\(outcome.standardError)")
    }

    @Test("broker transport options, Sentinel and TLS mistakes are caught before connecting, in every command", arguments: [
        (["worker", "--broker-transport-options", #"{"socket_timout": 5}"#], [:], "socket_timout: unknown transport option"),
        (["enqueue", "lovage.add", "--broker-transport-options", "{nope"], [:], "--broker-transport-options: not JSON"),
        (["inspect", "ping", "-b", "sentinel://127.0.0.1:26379"], [:], "give the master's name as the transport option master_name"),
        (["beat", "-s", "examples/beat.yaml", "-b", "sentinel://127.0.0.1:26379"], [:], "master_name"),
        (["record", "-b", "rediss://127.0.0.1:6380/0"], [:], "TLS is not supported"),
        (["enqueue", "lovage.add"], ["BROKER_USE_SSL": "true"], "BROKER_USE_SSL is on, but this Lovage build has no TLS"),
        (["worker", "-b", "sentinel://127.0.0.1:26379"], ["CELERY_USE_SENTINEL": "true"], "CELERY_SENTINEL_MASTER_NAME is empty"),
        (["status", "--broker-transport-options", #"{"global_keyprefix": "x"}"#], [:], "global_keyprefix: not supported"),
        (["worker", "--broker-transport-options", "{}", "--result-backend-transport-options", #"{"socket_timeout": -1}"#], [:],
         "--result-backend-transport-options: socket_timeout: expected a number of seconds above 0"),
    ])
    func transportMistakes(arguments: [String], environment: [String: String], phrase: String) throws {
        let outcome = try LovageProcess.run(arguments, environment: environment)
        #expect(outcome.status == 2, "\(arguments): \(outcome.standardError)")
        #expect(outcome.standardError.contains(phrase), "\(arguments): \(outcome.standardError)")
    }

    @Test("a bad duration says how to write one")
    func badDurationMessage() throws {
        let outcome = try LovageProcess.run(["enqueue", "lovage.add", "--expires=-5s"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("expected a duration such as 30, 30s, 250ms"), "\(outcome.standardError)")
        #expect(outcome.standardError.contains("'-5s'"))
    }

    @Test("--version prints the version and exits 0; --help exits 0")
    func versionAndHelp() throws {
        let version = try LovageProcess.run(["--version"])
        #expect(version.status == 0)
        let text = version.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(text.range(of: #"^\d+\.\d+\.\d+$"#, options: .regularExpression) != nil, "\(text)")
        let help = try LovageProcess.run(["simulate", "--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("USAGE: lovage simulate"))
    }

    @Test("a service that cannot be reached exits 2, with the error and no usage line")
    func unreachableExitsTwo() throws {
        let outcome = try LovageProcess.run(["enqueue", "lovage.add", "-b", "redis://127.0.0.1:1/0"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("cannot publish"))
        #expect(!outcome.standardError.contains("Usage:"), "\(outcome.standardError)")
    }

    @Test("the worker reads --wait-for-broker with units (500ms gives up after 0.5 s)")
    func workerDurationUnits() throws {
        let started = Date()
        let outcome = try LovageProcess.run(["worker", "-b", "redis://127.0.0.1:1/0", "--wait-for-broker", "500ms"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("after 0.5 s"), "\(outcome.standardError)")
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test("--max-memory-per-child reads a bare number as KiB, as Celery does, and 200MiB as 204800 KiB")
    func workerMemoryUnits() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        for (value, kib) in [("200MiB", 204_800), ("150000", 150_000)] {
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-memory-\(UUID().uuidString).log")
            defer { try? FileManager.default.removeItem(at: log) }
            let worker = try LovageProcess.start(["worker", "-b", server.url.description, "-P", "prefork", "-c", "1",
                                                  "--max-memory-per-child", value], log: log)
            defer { if worker.isRunning { worker.terminate(); worker.waitUntilExit() } }
            #expect(LovageProcess.waitFor("ready.", in: log, timeout: 20))
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(text.contains("recycle:     above \(kib) KiB resident"), "\(text)")
        }
    }

    @Test("enqueue -b publishes, and --countdown/--expires read units: 1m30s and 10m")
    func enqueueShortBrokerAndUnits() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let before = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let outcome = try LovageProcess.run(["enqueue", "lovage.add", "-b", server.url.description,
                                             "--countdown", "1m30s", "--expires", "10m"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let connection = try RedisConnection(url: server.url)
        let raw = try #require(try connection.command("RPOP", "celery").bytes)
        let message = try TaskMessage.decode(raw)
        let eta = try #require(try message.etaMicros)
        let expires = try #require(try message.expiresMicros)
        #expect(abs(eta - (before + 90_000_000)) < 5_000_000, "eta \(eta - before) µs from now")
        #expect(abs(expires - (before + 600_000_000)) < 5_000_000, "expires \(expires - before) µs from now")
        #expect(message.extraProperties["expiration"] == .string("600000"))
    }

    @Test("validate --json: one entry per file, ok false and exit 2 when one is invalid")
    func validateJSON() throws {
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-validate-\(UUID().uuidString).yaml")
        try Data("name: broken\nfleet: 3\n".utf8).write(to: bad)
        defer { try? FileManager.default.removeItem(at: bad) }
        let good = try LovageProcess.run(["validate", "--json", Self.path("scenarios/dify-default.yaml")])
        #expect(good.status == 0, "\(good.standardError)")
        let goodReport = try Self.json(good.standardOutput)
        #expect(goodReport["ok"] as? Bool == true)
        let files = try #require(goodReport["files"] as? [[String: Any]])
        #expect(files.first?["scenario"] as? String == "dify-default")
        #expect(files.first?["task_types"] as? Int ?? 0 > 0)

        let mixed = try LovageProcess.run(["validate", "--json", Self.path("scenarios/burst.yaml"), bad.path])
        #expect(mixed.status == 2)
        let mixedReport = try Self.json(mixed.standardOutput)
        #expect(mixedReport["ok"] as? Bool == false)
        let entries = try #require(mixedReport["files"] as? [[String: Any]])
        #expect(entries.map { $0["ok"] as? Bool } == [true, false])
        let problems = try #require(entries.last?["errors"] as? [[String: Any]], "\(entries)")
        // Every problem, each with its place: the missing keys and the fleet that is not a list.
        #expect(problems.count == 4, "\(problems)")
        let fleet = try #require(problems.first { $0["key"] as? String == "fleet" }, "\(problems)")
        #expect(fleet["line"] as? Int == 2)
        #expect(fleet["column"] as? Int == 8)
        #expect((fleet["text"] as? String)?.hasPrefix(bad.path + ":2:8: fleet: ") == true, "\(fleet)")
    }

    @Test("compare --json lists every figure; a different run fails with exit 1")
    func compareJSON() throws {
        let baseline = Self.path("results/baselines/dify-default.json")
        let same = try LovageProcess.run(["compare", "--json", baseline, baseline])
        #expect(same.status == 0, "\(same.standardError)")
        let sameReport = try Self.json(same.standardOutput)
        let rows = try #require(sameReport["rows"] as? [[String: Any]])
        #expect(!rows.isEmpty)
        #expect(sameReport["unchanged"] as? Int == rows.count)
        #expect(sameReport["fails"] as? Bool == false)

        let other = try LovageProcess.run(["compare", "--json", baseline, Self.path("results/baselines/burst.json")])
        #expect(other.status == 1)
        let otherReport = try Self.json(other.standardOutput)
        #expect(otherReport["fails"] as? Bool == true)
        #expect((otherReport["regressions"] as? [String])?.isEmpty == false)
        let hashes = try #require(otherReport["trace_hash"] as? [String: Any])
        #expect(hashes["baseline"] as? String != hashes["new"] as? String)
    }

    @Test("compare names a missing file or one that is not a summary, exit 2")
    func compareBadFiles() throws {
        let notSummary = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-compare-\(UUID().uuidString).json")
        try Data("{}".utf8).write(to: notSummary)
        defer { try? FileManager.default.removeItem(at: notSummary) }
        let baseline = Self.path("results/baselines/burst.json")
        let missing = try LovageProcess.run(["compare", "/no/such/summary.json", baseline])
        #expect(missing.status == 2)
        #expect(missing.standardError.contains("cannot read /no/such/summary.json: no such file"), "\(missing.standardError)")
        let wrong = try LovageProcess.run(["compare", baseline, notSummary.path])
        #expect(wrong.status == 2)
        #expect(wrong.standardError.contains("\(notSummary.path) is not a summary.json"), "\(wrong.standardError)")
        #expect(wrong.standardError.contains("missing key \"scenario\""), "\(wrong.standardError)")
    }

    @Test("replay --json and explore --json parse and agree on the failing seed")
    func replayAndExploreJSON() throws {
        let file = Self.path("scenarios/visibility-timeout-duplicate.yaml")
        let explored = try LovageProcess.run(["explore", file, "--seeds", "1...3", "--json"])
        #expect(explored.status == 1, "\(explored.standardError)")
        let exploration = try Self.json(explored.standardOutput)
        let failures = try #require(exploration["failures"] as? [[String: Any]])
        let seed = try #require(failures.first?["seed"] as? Int)

        let replayed = try LovageProcess.run(["replay", file, "--seed", String(seed), "--swarm", "--json", "--trace"])
        #expect(replayed.status == 1, "\(replayed.standardError)")
        let replay = try Self.json(replayed.standardOutput)
        #expect(replay["seed"] as? Int == seed)
        let breaches = try #require(replay["breaches"] as? [[String: Any]])
        #expect(!breaches.isEmpty)
        let stories = try #require(replay["stories"] as? [[String: Any]])
        #expect((stories.first?["lines"] as? [String])?.isEmpty == false)
        #expect((stories.first?["raw_events"] as? [String])?.isEmpty == false)
    }

    @Test("shrink --json reports the smaller run and writes the file it names")
    func shrinkJSON() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-shrink-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: out) }
        let outcome = try LovageProcess.run(["shrink", Self.path("scenarios/visibility-timeout-duplicate.yaml"), "--seed", "1", "--swarm",
                                             "--out", out.path, "--json"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try Self.json(outcome.standardOutput)
        #expect(report["written"] as? String == out.path)
        let before = try #require(report["before"] as? [String: Any])
        let after = try #require(report["after"] as? [String: Any])
        #expect(try #require(after["tasks"] as? Int) <= (try #require(before["tasks"] as? Int)))
        #expect(FileManager.default.fileExists(atPath: out.path))
    }
}
