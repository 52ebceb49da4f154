import ArgumentParser
import Foundation
import LiveBeat
import Logging
import RedisClient
import Scenarios

/// `lovage worker -B`: a beat on a thread of the worker's parent process, as Celery's `-B` embeds
/// one. It uses the same lock as `lovage beat`, so `-B` on every worker of a fleet is safe: one
/// holder sends, the others stand by. It stops (releasing the lock) when the worker stops.
final class EmbeddedBeat: @unchecked Sendable {
    let service: BeatService
    let finished = DispatchSemaphore(value: 0)

    init(service: BeatService) { self.service = service }

    static func start(schedulePath: String?, brokerURL: RedisURL, defaultQueue: String, prioritySteps: [Int],
                      lockTimeout: Int64, nodeName: String) throws -> EmbeddedBeat {
        // The worker's level and format (bootstrapped for the process), under the beat's label.
        let logger = Logger(label: "lovage.beat")
        guard let schedulePath else { throw ExitCode(ExitStatus.badInput) }
        let spec: ScheduleSpec
        do { spec = try ScheduleFileLoader.load(path: schedulePath) } catch {
            logger.error("-B --schedule: \(error.description)")
            throw ExitCode(ExitStatus.badInput)
        }
        var settings = BeatSettings(entries: spec.entries, zone: spec.zone, brokerURL: brokerURL,
                                    holderID: BeatCommand.holderID(host: nodeName))
        settings.cronStartingDeadlineMicros = spec.cronStartingDeadlineMicros
        settings.lockTimeoutMicros = lockTimeout
        settings.defaultQueue = defaultQueue
        settings.prioritySteps = prioritySteps
        let beat = EmbeddedBeat(service: BeatService(settings: settings, logger: logger))
        for line in BeatLogLine.banner(settings, schedulePath: schedulePath) { logger.info("\(line)") }
        let thread = Thread {
            beat.service.run()
            beat.finished.signal()
        }
        thread.name = "beat"
        thread.start()
        return beat
    }

    /// Stops the beat (it releases the lock) and waits for its thread, at most 5 s.
    func stopAndWait() {
        service.stop()
        _ = finished.wait(timeout: .now() + 5)
    }
}
