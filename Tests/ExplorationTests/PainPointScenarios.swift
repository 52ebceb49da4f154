import Foundation
import Scenarios

/// Celery pain points as small scenarios, each with its fixed configuration: the shipped files
/// where one exists, else test-only configurations short enough to explore a few seeds in a test.
enum PainPointScenarios {
    /// The repository's scenarios folder.
    static var folder: URL {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("scenarios")
    }

    static func shipped(_ name: String) throws -> Scenario {
        try ScenarioLoader.load(path: folder.appendingPathComponent(name).path)
    }

    static func parse(_ yaml: String, _ name: String) throws -> Scenario {
        try ScenarioLoader.parse(yaml: yaml, sourcePath: "\(name).yaml")
    }

    /// celery#5935: a late-acknowledged task that runs longer than the visibility timeout is restored
    /// while it runs and runs again.
    static func longTaskPastVisibility(visibilityTimeout: String) -> String {
        """
        name: long-task-past-visibility
        duration: 10s
        drain: 30m
        broker: {visibility_timeout: \(visibilityTimeout)}
        fleet:
          - {name: worker, count: 2, concurrency: 1, prefetch_multiplier: 1, acks_late: true}
        tasks:
          - {name: export.big, duration: 5m}
        load:
          arrival: even
          phases:
            - {duration: 10s, rate: 12/m}
        """
    }

    /// Prefetch hoarding: with early acks and a prefetch of 4, the worker running a 100 s report
    /// reserves quick tasks that then wait behind it while the other worker idles.
    static func prefetchHoarding(fleetOptions: String) -> String {
        """
        name: prefetch-hoarding
        duration: 5s
        drain: 10m
        fleet:
          - {name: worker, count: 2, concurrency: 1, \(fleetOptions)}
        tasks:
          - {name: report.slow, duration: 100s}
          - {name: mail.quick, duration: 10s}
        load:
          arrival: even
          phases:
            - {duration: 5s, rate: 1/h}
          bursts:
            - {at: 0s, count: 1, task: report.slow}
            - {at: 1s, count: 8, task: mail.quick}
          mix: {mail.quick: 1}
        invariants: {drain_within: 2m}
        """
    }

    /// task_reject_on_worker_lost with a task that always kills its child: requeued, crashed,
    /// requeued, for ever.
    static func rejectOnWorkerLost(_ reject: Bool) -> String {
        """
        name: reject-on-worker-lost-loop
        duration: 10s
        drain: 10m
        fleet:
          - {name: worker, count: 1, concurrency: 2, prefetch_multiplier: 1, acks_late: true, reject_on_worker_lost: \(reject)}
        tasks:
          - name: pdf.render
            duration: 2s
            crash: {probability: 1}
        load:
          arrival: even
          phases:
            - {duration: 10s, rate: 12/m}
        invariants: {drain_within: 5m}
        """
    }

    /// An ETA flood: 4,000 reminders held in worker memory push the workers past their container
    /// limit; the OOM-killed workers leave them in unacked until the visibility timeout.
    static func etaFlood(memoryLimit: String) -> String {
        """
        name: eta-flood
        duration: 3m
        drain: 10m
        broker: {visibility_timeout: 1h}
        fleet:
          - {name: worker, count: 2, concurrency: 2, prefetch_multiplier: 4, acks_late: true, child_memory: 16MiB,
             memory_limit: \(memoryLimit), held_message_memory: 64KiB, restart_delay: 10s}
        tasks:
          - {name: notify.reminder, duration: 50ms, countdown: 2m}
          - {name: api.work, duration: 50ms}
        load:
          phases:
            - {duration: 3m, rate: 2/s}
          bursts:
            - {at: 10s, count: 4000, task: notify.reminder}
          mix: {api.work: 1}
        invariants: {drain_within: 5m}
        """
    }
}
