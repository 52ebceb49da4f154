import FleetControl
import Scenarios
import WorkerCore

/// Scenarios for the fleet controller's tests: one scaled group `worker` of `replicas` under an
/// HPA whose wish is simply the backlog (target 1 per replica, no tolerance, no scale-down
/// stabilization unless asked), so each poll's reading says how many workers the group wants.
enum ScalerScenarios {
    /// `policy` replaces the HPA (its keys, without braces); `extraGroup` adds an unscaled group and
    /// a second scaled one, `other`, on its own queue.
    static func scenario(count: Int = 1, replicas: Int = 4, minReplicas: Int = 0, polling: Int = 15, startup: Int = 0,
                         grace: Int = 30, stabilization: Int = 0, extraGroup: Bool = false,
                         policy: String = "policy: hpa, target_backlog_per_replica: 1, tolerance: 0, scale_up_pods: 100") throws -> Scenario {
        let scaler = "{\(policy), min_replicas: \(minReplicas), max_replicas: \(replicas), polling_interval: \(polling)s, "
            + "startup_delay: \(startup)s, shutdown_grace: \(grace)s, scale_down_stabilization: \(stabilization)s}"
        var yaml = """
        name: fleet-controller
        duration: 10m
        fleet:
          - name: worker
            count: \(count)
            queues: [celery]
            scaler: \(scaler)

        """
        if extraGroup {
            yaml += """
              - name: fixed
                count: 2
                queues: [celery]
              - name: other
                count: 1
                queues: [other]
                scaler: \(scaler)

            """
        }
        yaml += """
        tasks:
          - name: t
        load:
          phases: [{duration: 10m, rate: 1/s}]
        """
        return try ScenarioLoader.parse(yaml: yaml, sourcePath: "fleet-controller.yaml")
    }

    /// Instants as seconds from the run's start (both drivers' adapters count from 0 in these tests).
    static func at(_ seconds: Double) -> Instant { Instant(microsecondsSinceEpoch: Int64(seconds * 1_000_000)) }

    /// A reading of `backlog` messages waiting in the group's first list.
    static func reading(_ controller: FleetController, scaler: Int = 0, backlog: Int, oldestDueAt: Instant? = nil) -> FleetBrokerReading {
        var lengths = Array(repeating: 0, count: controller.scalers[scaler].lists.count)
        lengths[0] = backlog
        return FleetBrokerReading(listLengths: lengths, unacked: 0, oldestDueAt: oldestDueAt)
    }
}
