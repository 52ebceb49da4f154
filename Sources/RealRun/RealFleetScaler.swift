import CeleryWire
import FleetControl
import Foundation
import LiveWorker
import RedisClient
import Reports
import Scenarios
import WorkerCore

/// The fleet scalers of a real run: every polling interval each scaled group's policy reads the
/// real broker (LLEN of KEDA's list, every list plus `unacked`, the age of the oldest waiting
/// message) and the run starts `lovage worker` processes (after the start-up delay) or stops them
/// (SIGTERM, then SIGKILL when the shutdown grace runs out) to follow it — the same
/// `FleetScalerPolicy` the simulator uses.
final class RealFleetScaler {
    private struct Group {
        let index: Int
        let spec: FleetScalerSpec
        let names: [String]
        let kedaList: String
        let allLists: [String]
        var policy: FleetScalerPolicy
        var nextPoll: TimeSpan
        var desired: Int
    }

    /// What a poll saw and decided, for the timeline.
    struct Poll {
        var atMicros: Int64
        var figures: RunSummary.FleetFigures
    }

    private var groups: [Group] = []
    private var pendingStarts: [(name: String, at: TimeSpan)] = []
    private var stopping: [(name: String, killAt: TimeSpan)] = []
    private(set) var polls: [Poll] = []
    private let fleet: WorkerFleet
    private let url: RedisURL
    private let intendedOffsetOfTask: (String) -> TimeSpan?
    private let log: @Sendable (String) -> Void
    private var connection: RedisConnection?

    init(scenario: Scenario, fleet: WorkerFleet, url: RedisURL, intendedOffsetOfTask: @escaping (String) -> TimeSpan?,
         log: @escaping @Sendable (String) -> Void) {
        self.fleet = fleet
        self.url = url
        self.intendedOffsetOfTask = intendedOffsetOfTask
        self.log = log
        for (index, group) in scenario.fleet.enumerated() {
            guard let spec = group.scaler else { continue }
            groups.append(Group(index: index, spec: spec, names: fleet.names(ofGroup: index), kedaList: group.queues[0],
                                allLists: group.queues.flatMap { PriorityQueueKeys.allKeys(queue: $0, steps: scenario.broker.prioritySteps) },
                                policy: FleetScalerPolicy(spec: spec, start: Instant(microsecondsSinceEpoch: 0)),
                                nextPoll: spec.pollingInterval, desired: group.count))
        }
    }

    var isEmpty: Bool { groups.isEmpty }

    /// When `tick` next has something to do (a start, a kill or a poll); nil without scaled groups.
    var nextDue: TimeSpan? {
        (pendingStarts.map(\.at) + stopping.map(\.killAt) + groups.map(\.nextPoll)).min()
    }

    /// Polls the groups that are due, starts what is due to start, kills what outlived its grace.
    func tick(now: TimeSpan) {
        for (name, _) in pendingStarts.filter({ $0.at <= now }) {
            do { try fleet.start(name); log("scaler: started \(name)") } catch { log("scaler: \(error)") }
        }
        pendingStarts.removeAll { $0.at <= now }
        for (name, _) in stopping.filter({ $0.killAt <= now }) where fleet.isRunning(name) {
            log("scaler: \(name) outlived its shutdown grace")
            fleet.kill(name)
        }
        stopping.removeAll { $0.killAt <= now || !fleet.isRunning($0.name) }
        for index in groups.indices where groups[index].nextPoll <= now {
            // A fixed schedule, as KEDA's and the simulator's polls are: a late poll does not move the next.
            let scheduled = groups[index].nextPoll
            groups[index].nextPoll = max(scheduled + groups[index].spec.pollingInterval, now)
            poll(index, now: now, scheduled: scheduled)
        }
    }

    /// One poll, `now` being when it ran and `scheduled` when it was due. Starts and kills are timed
    /// from `scheduled`, so a grace period as long as the polling interval ends exactly at the next
    /// poll, and `tick` kills before it polls, as the simulator orders the two at the same instant.
    private func poll(_ index: Int, now: TimeSpan, scheduled: TimeSpan) {
        let group = groups[index]
        let running = group.names.filter { name in fleet.isRunning(name) && !stopping.contains { $0.name == name } }
        let starting = group.names.filter { name in pendingStarts.contains { $0.name == name } }
        guard let reading = read(group, current: running.count + starting.count, now: now) else { return }
        let desired = groups[index].policy.desired(reading, now: Instant(microsecondsSinceEpoch: scheduled.microseconds))
        groups[index].desired = desired
        polls.append(Poll(atMicros: now.microseconds, figures: RunSummary.FleetFigures(
            desiredWorkers: desired, kedaListLength: reading.listLength, celeryBacklog: reading.backlog)))
        if desired > reading.current {
            var needed = desired - reading.current
            for name in group.names where needed > 0 && !fleet.isRunning(name) && !starting.contains(name) {
                pendingStarts.append((name, scheduled + group.spec.startupDelay))
                needed -= 1
            }
        } else if desired < reading.current {
            var surplus = reading.current - desired
            for name in starting.reversed() where surplus > 0 {
                pendingStarts.removeAll { $0.name == name }
                surplus -= 1
            }
            for name in running.reversed() where surplus > 0 {
                fleet.stop(name)
                stopping.append((name, scheduled + group.spec.shutdownGrace))
                surplus -= 1
            }
        }
    }

    /// One poll's figures from Redis; nil when Redis does not answer (the poll is skipped).
    private func read(_ group: Group, current: Int, now: TimeSpan) -> FleetScalerPolicy.Reading? {
        do {
            if connection == nil { connection = try RedisConnection(url: url, connectTimeout: 0.5, commandTimeout: 2) }
            guard let connection else { return nil }
            var commands = group.allLists.map { [Array("LLEN".utf8), Array($0.utf8)] }
            commands.append([Array("HLEN".utf8), Array(KombuKeys.unacked.utf8)])
            commands += group.allLists.map { [Array("LINDEX".utf8), Array($0.utf8), Array("-1".utf8)] }
            let replies = try connection.pipeline(commands)
            let depths = replies.prefix(group.allLists.count).map { Int($0.integerValue ?? 0) }
            let unacked = Int(replies[group.allLists.count].integerValue ?? 0)
            // The oldest waiting message of each list is at its consuming end; its task id names
            // the planned task, whose intended send time is when it became due.
            let oldest = replies.suffix(group.allLists.count).compactMap { reply -> TimeSpan? in
                guard let bytes = reply.bytes, case .object(let envelope)? = try? JSONValue.parse(bytes),
                      let id = envelope["headers"]?["id"]?.stringValue else { return nil }
                return intendedOffsetOfTask(id)
            }.min()
            let kedaDepth = zip(group.allLists, depths).first { $0.0 == group.kedaList }?.1 ?? 0
            return FleetScalerPolicy.Reading(current: current, listLength: kedaDepth, backlog: depths.reduce(0, +) + unacked,
                                             oldestWait: oldest.map { now - $0 } ?? .zero)
        } catch {
            connection = nil
            return nil
        }
    }
}
