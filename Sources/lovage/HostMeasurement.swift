import ArgumentParser
import Calibration
import Foundation
import Logging
import RealRun
import RedisClient
import Reports
import Scenarios

/// `lovage calibrate --host -b URL`: the recipes of docs/fidelity.md ("Calibrating for another
/// machine"), run rather than described, against the given broker:
/// 1. `host.cores`: the CPUs of this machine.
/// 2. `broker.latency`: half the median round trip of 500 PINGs.
/// 3. `child_handoff` and `task_overhead`: one worker of 4 saturated by 2,000 constant 10 ms
///    bodies; the slot's own time per task is 4 / throughput − 10 ms, split two thirds before
///    the body and one third after it, as measured on the reference machine.
/// 4. `host.cpu_per_task`: 2 workers of 8 draining 6,000 bodies of 0 s, which is CPU-bound:
///    cores / the drain rate.
/// Each run's figure is printed with the sum that gives the setting, so it can be repeated by hand.
struct HostMeasurement {
    let command: CalibrateCommand

    func run() throws {
        let text = command.broker ?? ProcessInfo.processInfo.environment["CELERY_BROKER_URL"]!
        let url = try Lovage.redisURL(text, what: "broker")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("1. cores: \(cores) (the CPUs of this machine; the fleet, Redis and the load share them)")
        let latency = try pingLatency(url)
        print("2. broker latency: " + ScenarioTextDuration.format(latency) + " each way (half the median of 500 PING round trips)")
        let slot = try burst(url, name: "host-slot", workers: 1, concurrency: 4, body: "10ms", count: 2000)
        let slotCost = max(0, 4 / slot - 0.010)
        let handoff = slotCost * 2 / 3, overhead = slotCost / 3
        print("3. slot cost: 1 worker × 4 drained 2,000 × 10 ms at " + String(format: "%.1f", slot) + "/s → 4 / rate − 10 ms = "
              + ScenarioTextDuration.format(slotCost) + ": child_handoff " + ScenarioTextDuration.format(handoff)
              + ", task_overhead " + ScenarioTextDuration.format(overhead))
        let drain = try burst(url, name: "host-cpu", workers: 2, concurrency: 8, body: "0s", count: 6000)
        let cpu = Double(cores) / drain
        print("4. cpu per task: 2 workers × 8 drained 6,000 empty bodies at " + String(format: "%.1f", drain) + "/s → cores / rate = "
              + ScenarioTextDuration.format(cpu))
        let host = ProcessInfo.processInfo.hostName
        let source = "lovage calibrate --host -b \(url.redacted) --target \(command.target) on \(host), \(ISO8601DateFormatter().string(from: Date()))"
        let settings = HostSettings(source: source, cores: cores, cpuPerTask: cpu, brokerLatency: latency, childHandoff: handoff, taskOverhead: overhead)
        let path = command.out ?? "host.yaml"
        do { try settings.yaml.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            printError("Error: cannot write \(path): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        print("wrote \(path); merge it with: lovage calibrate RECORDING --host-from \(path)")
    }

    func pingLatency(_ url: RedisURL) throws -> Double {
        do {
            let connection = try RedisConnection(url: url, connectTimeout: 5, commandTimeout: 5)
            var rounds: [Double] = []
            for _ in 0..<500 {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try connection.command("PING")
                rounds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            rounds.sort()
            return rounds[rounds.count / 2] / 2
        } catch {
            printError("Error: cannot reach the broker at \(url.redacted): \(error.message)")
            throw ExitCode(2)
        }
    }

    /// A burst of `count` constant bodies on `workers` × `concurrency` for real; its throughput.
    func burst(_ url: RedisURL, name: String, workers: Int, concurrency: Int, body: String, count: Int) throws -> Double {
        let yaml = """
        name: \(name)
        duration: 1s
        drain: 5m
        fleet:
          - {name: worker, count: \(workers), concurrency: \(concurrency), prefetch_multiplier: 1, acks_late: true}
        tasks:
          - {name: work, duration: \(body)}
        load:
          phases: [{duration: 1s, ramp: {from: 0, to: 0.001}}]
          bursts: [{at: 0s, count: \(count), task: work}]
        """
        let scenario = try ScenarioLoader.parse(yaml: yaml, sourcePath: "<\(name)>")
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let logs = NSTemporaryDirectory() + "lovage-\(name)-\(getpid())"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: logs) }
        var options = RealRunOptions(lovageExecutable: executable, pythonExecutable: RunCommand.absolute(command.python),
                                     celeryModuleDirectory: RunCommand.interopDirectory(executable: executable), logDirectory: logs,
                                     logger: Logger(label: "lovage.run") { _ in SwiftLogNoOpLogHandler() })
        options.brokerURL = url
        options.target = command.target == "celery" ? .celery : .lovage
        options.taskEvents = false
        let result = try RealRunner(scenario: scenario, options: options).run()
        let finished = result.summary.counts.succeeded
        guard finished == count, result.summary.throughput > 0 else {
            printError("Error: the \(name) burst finished \(finished) of \(count) tasks; its logs were in \(logs)")
            throw ExitCode(1)
        }
        return result.summary.throughput
    }
}
