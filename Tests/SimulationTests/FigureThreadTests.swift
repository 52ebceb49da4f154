import Foundation
import Testing
import Reports
import Scenarios
@testable import Simulation

/// The figure thread (`FigureThread`) must not change a run's outputs: the trace hash, the trace
/// file and every figure are the same with it as with everything on the simulator's thread.
@Suite("The figure thread keeps every output the same")
struct FigureThreadTests {
    /// Enough records to fill the ring several times over (the simulator waits for the thread),
    /// retries and failures, and a worker name longer than a small string (the hash then reads
    /// it from the chunk's strings, not from its two words).
    static func scenario() throws -> Scenario {
        try ScenarioLoader.parse(yaml: """
        name: figure-thread
        seed: 11
        duration: 60s
        drain: 1m
        fleet:
          - {name: a-worker-group-with-a-long-name, count: 2, concurrency: 4, prefetch_multiplier: 4, queues: [celery]}
        tasks:
          - name: app.flaky
            duration: {exponential: {mean: 20ms}}
            failure: {probability: 0.05, error: ConnectionError}
            retry: {max_retries: 3, autoretry_for: [ConnectionError]}
          - {name: app.quick, duration: {exponential: {mean: 5ms}}}
        load:
          arrival: poisson
          phases: [{duration: 60s, rate: 300/s}]
          mix: {app.flaky: 1, app.quick: 2}
        """, sourcePath: "figure-thread.yaml")
    }

    static func run(_ scenario: Scenario, threaded: Bool, trace: Bool) throws -> (summary: Data, hash: String, trace: String?) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("figures-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let options = SimulationOptions(seed: 11, tracePath: trace ? path : nil, figureThread: threaded)
        let summary = try Simulator(scenario: scenario, options: options).run().summary
        return (try SummaryFiles.encoder().encode(summary), summary.traceHash,
                trace ? try String(contentsOfFile: path, encoding: .utf8) : nil)
    }

    @Test("with and without the thread, with and without a trace file: the same summary, hash and trace")
    func sameOutputs() throws {
        let scenario = try Self.scenario()
        let inline = try Self.run(scenario, threaded: false, trace: true)
        let threaded = try Self.run(scenario, threaded: true, trace: true)
        let lines = inline.trace!.split(separator: "\n")
        // More records than the ring holds: chunks were handed over and reused.
        #expect(lines.count > FigureThread.chunkCapacity * FigureThread.chunkCount * 2)
        #expect(lines.contains { $0.contains("a-worker-group-with-a-long-name-1") })
        #expect(lines.contains { $0.contains("\"ev\":\"retry") })
        #expect(threaded.trace == inline.trace)
        #expect(threaded.hash == inline.hash)
        #expect(threaded.summary == inline.summary)
        for threadedRun in [false, true] {
            let hashOnly = try Self.run(scenario, threaded: threadedRun, trace: false)
            #expect(hashOnly.hash == inline.hash)
            #expect(hashOnly.summary == inline.summary)
        }
    }
}
