import Foundation
import Scenarios
import Simulation
import Testing
import WorkerCore

/// A group's `memory_limit` acts the moment a worker's memory passes it, wherever the memory grew,
/// as the kernel's OOM killer does, not at the next timeline sample (whole seconds in these runs,
/// which last 30 s: one sample a second).
@Suite("memory_limit: the OOM kill comes when the limit is passed")
struct MemoryLimitTests {
    static let mebibyte: Int64 = 1 << 20

    /// Runs the scenario with a trace and returns the times, in µs from the start, of the records
    /// of each kind asked for.
    func traceTimes(_ scenario: Scenario, kinds: [String]) throws -> (times: [String: [Int64]], oomKilled: Int) {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lovage-memory-limit-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Simulator(scenario: scenario, options: SimulationOptions(tracePath: path)).run()
        var times: [String: [Int64]] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            for kind in kinds where line.contains("\"ev\":\"\(kind)\"") {
                // {"t":12.345678,"ev":... : seconds with exactly six decimals.
                let seconds = line.dropFirst("{\"t\":".count).prefix { $0 != "," }
                times[kind, default: []].append(try #require(Int64(seconds.replacingOccurrences(of: ".", with: ""))))
            }
        }
        return (times, result.summary.counts.oomKilled)
    }

    /// One worker with one child: a 300 ms body every 500 ms keeps 16 MiB per call; 64 MiB child.
    func leakingWorker(limitMiB: Int64) -> Scenario {
        makeScenario(duration: .seconds(10), drain: .seconds(20), rate: 2, arrival: .even, concurrency: 1,
                     taskDuration: .constant(.milliseconds(300)),
                     configureTask: { $0.body.memoryRetainedPerCallBytes = 16 * Self.mebibyte },
                     configureGroup: { group in
                         group.childBaselineMemoryBytes = 64 * Self.mebibyte
                         group.memoryLimitBytes = limitMiB * Self.mebibyte
                     })
    }

    @Test("a body whose kept memory passes the limit is killed as it ends, between two samples")
    func killedWhenBodyKeepsMemory() throws {
        // 64 + 3 × 16 = 112 MiB fits in 120 MiB; the fourth call's 128 MiB does not.
        let run = try traceTimes(leakingWorker(limitMiB: 120), kinds: ["start", "oom-kill", "ack"])
        let starts = try #require(run.times["start"])
        let kill = try #require(run.times["oom-kill"]?.first)
        #expect(kill == starts[3] + 300_000, "killed at \(kill) µs; the fourth body started at \(starts[3]) µs")
        #expect(kill % 1_000_000 != 0, "at a sample's instant: \(kill) µs")
        // The fourth task's acknowledgement (acks_late) never went: the worker died first.
        #expect(run.times["ack", default: []].filter { $0 <= kill }.count == 3)
        #expect(run.oomKilled >= 1)
    }

    @Test("a memory_pressure window that pushes a worker past its limit kills it as it starts")
    func killedWhenPressureStarts() throws {
        // Two 64 MiB children fit in 200 MiB; 40 MiB more each from 2.5 s (208 MiB) do not.
        let scenario = makeScenario(
            duration: .seconds(10), drain: .seconds(20), rate: 2, arrival: .even, concurrency: 2,
            configureGroup: { group in
                group.childBaselineMemoryBytes = 64 * Self.mebibyte
                group.memoryLimitBytes = 200 * Self.mebibyte
            },
            faults: [FaultSpec(start: .milliseconds(2500), end: .seconds(5),
                               kind: .memoryPressure(bytes: 40 * Self.mebibyte, workerPattern: "worker-*"))])
        let run = try traceTimes(scenario, kinds: ["oom-kill"])
        #expect(run.times["oom-kill"]?.first == 2_500_000)
    }

    @Test("held ETA messages that pass the limit kill the worker at the delivery that passes it")
    func killedWhenHeldMessagesPass() throws {
        // A 64 MiB child and 1 MiB per held message under 100 MiB: the 37th message held passes it.
        let scenario = makeScenario(
            duration: .seconds(10), drain: .seconds(20), rate: 0.1, arrival: .even, concurrency: 1,
            configureTask: { $0.countdown = .seconds(3600) },
            configureGroup: { group in
                group.childBaselineMemoryBytes = 64 * Self.mebibyte
                group.heldMessageBytes = Self.mebibyte
                group.memoryLimitBytes = 100 * Self.mebibyte
            },
            configureScenario: { $0.load.bursts = [Burst(at: .milliseconds(1500), count: 100, task: "app.work")] })
        let run = try traceTimes(scenario, kinds: ["oom-kill", "deliver"])
        #expect(run.times["oom-kill"]?.first == 1_500_000)
        // Killed at the 37th message held (plus the one published before the burst): nothing more
        // was delivered to it at that instant.
        let deliveredByKill = run.times["deliver", default: []].filter { $0 <= 1_500_000 }.count
        #expect(deliveredByKill <= 38, "\(deliveredByKill) deliveries by the kill")
    }
}
