import Reports
import Scenarios
import Simulation
import Testing
import WorkerCore

@Suite("host.memory_write: what writing the memory tasks keep costs")
struct MemoryWriteTests {
    static let twoMiB: Int64 = 2 << 20

    /// One slot, a 10 ms body keeping 2 MiB per call, one task every 100 ms (they never overlap),
    /// on a host whose CPUs are never the bottleneck unless `cores` says so.
    func run(_ cost: MemoryWriteCost?, tasks: Int = 20, cores: Int = 4, rate: Double = 10, concurrency: Int = 1,
             maxTasksPerChild: Int? = nil) throws -> RunSummary {
        try Simulator(scenario: makeScenario(
            duration: .milliseconds(Int64(Double(tasks) / rate * 1000)), rate: rate, arrival: .even,
            concurrency: concurrency, taskDuration: .constant(.milliseconds(10)),
            configureTask: { $0.body.memoryRetainedPerCallBytes = Self.twoMiB },
            configureGroup: { $0.maxTasksPerChild = maxTasksPerChild },
            configureScenario: { $0.host = HostSpec(cores: cores, cpuPerTask: .microseconds(1), memoryWrite: cost) }
        )).run().summary
    }

    /// Whether a run-time figure in µs is `milliseconds` (the histogram keeps three digits).
    func isAbout(_ micros: UInt64, _ milliseconds: Double) -> Bool {
        abs(Double(micros) / 1000 - milliseconds) < milliseconds * 0.01 + 0.01
    }

    @Test("the cost of a write: backed MiB at per_mib, the rest at unbacked_per_mib")
    func costFunction() {
        let bareMetal = MemoryWriteCost(perMiB: .milliseconds(1))
        #expect(bareMetal.cost(bytes: Self.twoMiB, backed: 0) == .milliseconds(2))
        let lazyHost = MemoryWriteCost(perMiB: .milliseconds(1), unbackedPerMiB: .milliseconds(4))
        #expect(lazyHost.cost(bytes: Self.twoMiB, backed: 1 << 20) == .milliseconds(5))
        #expect(lazyHost.cost(bytes: Self.twoMiB, backed: 1 << 30) == .milliseconds(2))
        #expect(lazyHost.cost(bytes: Self.twoMiB, backed: 0) == .milliseconds(8))
    }

    @Test("each write lengthens its body by per_mib × MiB kept; without memory_write it costs nothing")
    func writeLengthensBody() throws {
        let free = try run(nil)
        let priced = try run(MemoryWriteCost(perMiB: .milliseconds(1)))
        #expect(isAbout(free.runTime.p50, 10) && isAbout(free.runTime.max, 10), "\(free.runTime)")
        #expect(isAbout(priced.runTime.p50, 12) && isAbout(priced.runTime.max, 12), "\(priced.runTime)")
        #expect(priced.counts.succeeded == free.counts.succeeded)
    }

    @Test("memory beyond what the host backs costs unbacked_per_mib: 5 cheap writes in 10 MiB, then dear ones")
    func twoSpeeds() throws {
        let lazyHost = MemoryWriteCost(perMiB: .milliseconds(1), unbackedPerMiB: .milliseconds(5), backedBytes: 10 << 20)
        let summary = try run(lazyHost)
        let tasks = Double(summary.counts.succeeded)
        #expect(summary.counts.succeeded == summary.counts.published && tasks >= 19)
        // The first 5 tasks at 10 + 2 ms, the rest at 10 + 10 ms.
        #expect(isAbout(summary.runTime.p50, 20) && isAbout(summary.runTime.max, 20), "\(summary.runTime)")
        #expect(abs(summary.runTime.mean - (5 * 12_000 + (tasks - 5) * 20_000) / tasks) < 300, "\(summary.runTime.mean)")
        let roomy = try run(MemoryWriteCost(perMiB: .milliseconds(1), unbackedPerMiB: .milliseconds(5), backedBytes: 1 << 30))
        #expect(isAbout(roomy.runTime.max, 12), "\(roomy.runTime)")
    }

    @Test("memory a recycled child frees is cheap again, until the host takes it back (release_time_constant)")
    func freedMemoryIsReused() throws {
        // Children recycled every 2 tasks free 4 MiB, which the next child's two writes reuse:
        // only the first child's writes meet unbacked memory.
        let kept = MemoryWriteCost(perMiB: .milliseconds(1), unbackedPerMiB: .milliseconds(5))
        let reused = try run(kept, maxTasksPerChild: 2)
        #expect(reused.counts.recycled >= 9)
        #expect(isAbout(reused.runTime.max, 20) && isAbout(reused.runTime.p50, 12), "\(reused.runTime)")
        let tasks = Double(reused.counts.succeeded)
        #expect(abs(reused.runTime.mean - (2 * 20_000 + (tasks - 2) * 12_000) / tasks) < 300, "\(reused.runTime.mean)")
        // With a 1 ms release, the freed memory is the host's again 100 ms later: every write is dear.
        var released = kept
        released.releaseTimeConstant = .milliseconds(1)
        let handedBack = try run(released, maxTasksPerChild: 2)
        #expect(isAbout(handedBack.runTime.p50, 20), "\(handedBack.runTime)")
    }

    @Test("writing takes the host's CPUs: tasks queue behind writes when cores are few")
    func writesUseHostCPUs() throws {
        // 150 tasks/s on 4 slots, each writing 2 MiB at 5 ms/MiB: 1.5 CPU-seconds per second.
        let cost = MemoryWriteCost(perMiB: .milliseconds(5))
        let oneCore = try run(cost, tasks: 200, cores: 1, rate: 150, concurrency: 4)
        let fourCores = try run(cost, tasks: 200, cores: 4, rate: 150, concurrency: 4)
        #expect(oneCore.counts.succeeded == oneCore.counts.published && fourCores.counts.succeeded == fourCores.counts.published)
        #expect(oneCore.counts.published >= 199)
        #expect(isAbout(fourCores.runTime.p50, 20), "\(fourCores.runTime)")
        // On one core the writes queue for the CPU, so bodies run longer than 20 ms and tasks wait.
        #expect(oneCore.runTime.p90 > 25_000, "\(oneCore.runTime)")
        #expect(oneCore.queueWait.p99 > fourCores.queueWait.p99 + 5_000, "\(oneCore.queueWait) vs \(fourCores.queueWait)")
    }

    @Test("host.memory_write reads its four keys, is not time-scaled, and a bad value names its place")
    func scenarioKey() throws {
        let line = "host: {cores: 2, cpu_per_task: 700us, memory_write: {per_mib: 600us, unbacked_per_mib: 2.8ms, backed: 1GiB, release_time_constant: 6s}}"
        let yaml = minimalScenarioYAML(topLevel: line)
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "t.yaml")
        #expect(scenario.host?.memoryWrite == MemoryWriteCost(perMiB: .microseconds(600), unbackedPerMiB: .microseconds(2800),
                                                             backedBytes: 1 << 30, releaseTimeConstant: .seconds(6)))
        #expect(scenario.timeScaled(by: 0.1).host == scenario.host)
        let bare = try ScenarioLoader.parse(yaml: minimalScenarioYAML(topLevel: "host: {cores: 2, cpu_per_task: 700us, memory_write: {per_mib: 1ms}}"),
                                            sourcePath: "t.yaml")
        #expect(bare.host?.memoryWrite == MemoryWriteCost(perMiB: .milliseconds(1)))
        expectRejected(yaml, replacing: "per_mib: 600us", with: "per_mib: 0s", naming: "host.memory_write.per_mib")
        expectRejected(yaml, replacing: "backed: 1GiB", with: "backed: lots", naming: "host.memory_write.backed")
        expectRejected(yaml, replacing: "6s}", with: "-1s}", naming: "host.memory_write.release_time_constant")
        expectRejected(yaml, replacing: "memory_write: {", with: "memory_write: {spare: 1, ", naming: "host.memory_write")
        // `backed` prices nothing without the cost of memory the host has not backed.
        expectRejected(yaml, replacing: "unbacked_per_mib: 2.8ms, ", with: "", naming: "host.memory_write.backed")
    }
}
