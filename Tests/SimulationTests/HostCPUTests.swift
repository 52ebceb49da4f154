import Reports
import Scenarios
import Simulation
import Testing
import WorkerCore

@Suite("host: CPUs the whole run shares")
struct HostCPUTests {
    /// 4,000 tasks/s for 1 s of 1 ms bodies on 16 slots, which could take 16,000/s.
    func run(host: HostSpec?, rate: Double = 4_000) throws -> RunSummary {
        try Simulator(scenario: makeScenario(
            duration: .seconds(1), rate: rate, arrival: .even, concurrency: 16, prefetch: 4,
            taskDuration: .constant(.milliseconds(1)),
            configureScenario: { $0.host = host })).run().summary
    }

    @Test("a backlog drains no faster than the host's CPUs take tasks (cores / cpu_per_task)")
    func cpuBound() throws {
        let free = try run(host: nil)
        let oneCore = try run(host: HostSpec(cores: 1, cpuPerTask: .milliseconds(1)))
        let twoCores = try run(host: HostSpec(cores: 2, cpuPerTask: .milliseconds(1)))
        #expect(abs(free.throughput - 4_000) < 100, "\(free.throughput)")
        #expect(abs(oneCore.throughput - 1_000) < 30, "\(oneCore.throughput)")
        #expect(abs(twoCores.throughput - 2_000) < 60, "\(twoCores.throughput)")
        #expect(oneCore.counts.succeeded == free.counts.succeeded && twoCores.counts.succeeded == free.counts.succeeded)
        // The tasks wait for the host, so queue wait grows: the last of 4,000 waits about 3 s on one core.
        #expect(oneCore.queueWait.max > 2_500_000)
    }

    @Test("below the host's capacity the CPUs change almost nothing")
    func lightLoad() throws {
        let free = try run(host: nil, rate: 50)
        let host = try run(host: HostSpec(cores: 2, cpuPerTask: .microseconds(700)), rate: 50)
        #expect(host.queueWait.p50 == free.queueWait.p50)
        #expect(host.queueWait.max <= free.queueWait.max + 700)
    }

    @Test("host: reads cores and a duration, is not time-scaled, and a bad value names its place")
    func scenarioKey() throws {
        let yaml = minimalScenarioYAML(topLevel: "host: {cores: 2, cpu_per_task: 700us}")
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "t.yaml")
        #expect(scenario.host == HostSpec(cores: 2, cpuPerTask: .microseconds(700)))
        #expect(scenario.timeScaled(by: 0.1).host == scenario.host)
        expectRejected(yaml, replacing: "cores: 2", with: "cores: 0", naming: "host.cores")
        expectRejected(yaml, replacing: "cpu_per_task: 700us", with: "cpu_per_task: 0s", naming: "host.cpu_per_task")
        expectRejected(yaml, replacing: ", cpu_per_task: 700us", with: "", naming: "host.cpu_per_task")
    }
}
