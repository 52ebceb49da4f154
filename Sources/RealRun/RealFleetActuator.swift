import CeleryWire
import FleetControl
import LiveWorker
import Logging
import RedisClient
import WorkerCore

/// A real run's fleet and broker as the fleet controller's adapter acts on them: `lovage worker`
/// (or `celery worker`) processes started, SIGTERMed and SIGKILLed by name, and the real broker read
/// in one pipeline per poll (LLEN of every list, HLEN of `unacked`, the message at each list's
/// consuming end). Times are offsets from the run's start, as instants from 0.
final class RealFleetActuator: FleetActuator {
    private let fleet: WorkerFleet
    private let url: RedisURL
    private let intendedOffsetOfTask: (String) -> TimeSpan?
    private let logger: Logger
    private var connection: RedisConnection?
    private var namesByGroup: [Int: [String]] = [:]

    init(fleet: WorkerFleet, url: RedisURL, intendedOffsetOfTask: @escaping (String) -> TimeSpan?,
         logger: Logger) {
        self.fleet = fleet
        self.url = url
        self.intendedOffsetOfTask = intendedOffsetOfTask
        self.logger = logger
    }

    /// The process name of a replica: `<group>-<n>`, as the fleet and the simulator name it.
    private func name(_ worker: FleetWorker) -> String {
        if let names = namesByGroup[worker.group] { return names[worker.replica] }
        let names = fleet.names(ofGroup: worker.group)
        namesByGroup[worker.group] = names
        return names[worker.replica]
    }

    func isRunning(_ worker: FleetWorker) -> Bool { fleet.isRunning(name(worker)) }

    func start(_ worker: FleetWorker, now: Instant) {
        let name = name(worker)
        do { try fleet.start(name); logger.info("scaler: started \(name)") } catch { logger.info("scaler: \(error)") }
    }

    func warmStop(_ worker: FleetWorker, now: Instant) { fleet.stop(name(worker)) }

    func kill(_ worker: FleetWorker, now: Instant) {
        let name = name(worker)
        logger.info("scaler: \(name) outlived its shutdown grace")
        fleet.kill(name)
    }

    /// One poll's figures from Redis; nil when Redis does not answer (the poll is skipped).
    func readBroker(lists: [String], now: Instant) -> FleetBrokerReading? {
        do {
            if connection == nil { connection = try RedisConnection(url: url, connectTimeout: 0.5, commandTimeout: 2) }
            guard let connection else { return nil }
            var commands = lists.map { [Array("LLEN".utf8), Array($0.utf8)] }
            commands.append([Array("HLEN".utf8), Array(KombuKeys.unacked.utf8)])
            commands += lists.map { [Array("LINDEX".utf8), Array($0.utf8), Array("-1".utf8)] }
            let replies = try connection.pipeline(commands)
            let depths = replies.prefix(lists.count).map { Int($0.integerValue ?? 0) }
            let unacked = Int(replies[lists.count].integerValue ?? 0)
            // The oldest waiting message of each list is at its consuming end; its task id names
            // the planned task, whose intended send time is when it became due.
            let oldest = replies.suffix(lists.count).compactMap { reply -> TimeSpan? in
                guard let bytes = reply.bytes, case .object(let envelope)? = try? JSONValue.parse(bytes),
                      let id = envelope["headers"]?["id"]?.stringValue else { return nil }
                return intendedOffsetOfTask(id)
            }.min()
            return FleetBrokerReading(listLengths: depths, unacked: unacked,
                                      oldestDueAt: oldest.map { Instant(microsecondsSinceEpoch: $0.microseconds) })
        } catch {
            connection = nil
            return nil
        }
    }
}
