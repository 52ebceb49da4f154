import CeleryWire
import Scenarios
import WorkerCore

/// The fleet scalers of a scenario, without I/O: each scaled group's policy, the starts it has
/// asked for and not yet made, the workers it is stopping, and the poll schedule. A driver passes
/// in what it observed (which workers run, its broker's lists) with `now`, and carries out the
/// directives that come back; the simulator and `lovage run --mode redis` do nothing else, so a
/// scaler decides the same way in both worlds.
///
/// The rules it keeps (KEDA's and Kubernetes' behaviour, and both drivers' before it):
/// - Polls follow a fixed schedule from the start of the run: a late poll does not move the next.
/// - Starts and kills are timed from the poll's scheduled time, so a grace period as long as the
///   polling interval ends exactly at the next poll.
/// - Scaling up starts the lowest-numbered stopped workers first; scaling down first cancels
///   starts not yet made, highest-numbered first, then warm-stops running workers highest first,
///   and kills one only if it still runs when its grace ends.
/// - What falls due at one instant happens in the order it was decided (`due(at:)`), which puts a
///   start or a kill before the poll at the same instant: that poll was scheduled after them.
public struct FleetController: Sendable {
    /// One scaled group: its setup and what its latest poll saw and wanted.
    public struct Scaler: Sendable {
        /// The group's index in the scenario's fleet.
        public let group: Int
        public let name: String
        public let spec: FleetScalerSpec
        /// The group's replicas: all `max_replicas` workers exist, the first `count` start with the run.
        public let replicas: Int
        /// KEDA reads LLEN of one list: the group's first queue at priority step 0.
        public let kedaList: String
        /// Every list of the group's queues (each priority step), for the backlog Celery really holds.
        public let lists: [String]
        public fileprivate(set) var desired: Int
        public fileprivate(set) var listLength = 0
        public fileprivate(set) var backlog = 0
        fileprivate var policy: FleetScalerPolicy
    }

    /// What the drivers show per poll on the timeline, summed over every scaled group.
    public struct Figures: Sendable, Equatable {
        public var desired: Int
        public var listLength: Int
        public var backlog: Int

        public init(desired: Int, listLength: Int, backlog: Int) {
            self.desired = desired
            self.listLength = listLength
            self.backlog = backlog
        }
    }

    /// Something on the controller's agenda.
    public enum Due: Sendable, Equatable {
        /// A scaled group's poll (index into `scalers`).
        case poll(scaler: Int)
        /// A start after the start-up delay.
        case start(FleetWorker)
        /// The end of a stopping worker's shutdown grace.
        case graceEnd(FleetWorker)
    }

    private struct Entry: Sendable {
        var at: Instant
        /// The order things were decided in, for those due at the same instant.
        var sequence: Int
        var due: Due
    }

    public private(set) var scalers: [Scaler] = []
    private var agenda: [Entry] = []
    private var nextSequence = 0

    /// The scenario's scaled groups, polled first one polling interval after `start`.
    public init(scenario: Scenario, start: Instant) {
        for (index, group) in scenario.fleet.enumerated() {
            guard let spec = group.scaler else { continue }
            let lists = group.queues.flatMap { PriorityQueueKeys.allKeys(queue: $0, steps: scenario.broker.prioritySteps) }
            scalers.append(Scaler(group: index, name: group.name, spec: spec, replicas: max(1, spec.maxReplicas),
                                  kedaList: group.queues[0], lists: lists, desired: group.count,
                                  policy: FleetScalerPolicy(spec: spec, start: start)))
            add(.poll(scaler: scalers.count - 1), at: start + spec.pollingInterval)
        }
    }

    public var isEmpty: Bool { scalers.isEmpty }

    /// The first poll of every scaled group, for a driver that schedules its own events.
    public var openingDirectives: [FleetDirective] {
        scalers.indices.compactMap { index in entry(for: .poll(scaler: index)).map { .schedulePoll(scaler: index, at: $0.at) } }
    }

    /// The workers of one scaled group, lowest-numbered first.
    public func workers(ofScaler index: Int) -> [FleetWorker] {
        (0..<scalers[index].replicas).map { FleetWorker(group: scalers[index].group, replica: $0) }
    }

    /// When something is next due (a poll, a start, a grace end); nil without scaled groups.
    public var nextDeadline: Instant? { agenda.map(\.at).min() }

    /// Everything due at `now`, in the order it falls due (time, then the order it was decided).
    /// A deadline-driven driver handles each in turn; one a previous one made moot is answered
    /// with no directives.
    public func due(at now: Instant) -> [Due] {
        agenda.filter { $0.at <= now }.sorted { ($0.at, $0.sequence) < ($1.at, $1.sequence) }.map(\.due)
    }

    /// Whether a start is pending for the worker (it counts as running for the policy).
    public func isStarting(_ worker: FleetWorker) -> Bool { entry(for: .start(worker)) != nil }

    /// Whether the worker is being stopped (its grace has not ended; it no longer counts).
    public func isStopping(_ worker: FleetWorker) -> Bool { entry(for: .graceEnd(worker)) != nil }

    /// Desired replicas, KEDA's list length and the backlog at the latest polls, over every group.
    public var figures: Figures {
        scalers.reduce(Figures(desired: 0, listLength: 0, backlog: 0)) {
            Figures(desired: $0.desired + $1.desired, listLength: $0.listLength + $1.listLength, backlog: $0.backlog + $1.backlog)
        }
    }

    // MARK: Inputs

    /// A scaled group's poll: `running` says, for each of `workers(ofScaler:)`, whether its process
    /// runs (booting or consuming); `broker` is nil when the broker did not answer, and the poll is
    /// then skipped. Nil when the group's poll is not due at `now`.
    public mutating func poll(scaler index: Int, now: Instant, running: [Bool], broker: FleetBrokerReading?) -> FleetPoll? {
        guard let scheduled = take(.poll(scaler: index), dueBy: now) else { return nil }
        let scaler = scalers[index]
        let workers = workers(ofScaler: index)
        precondition(running.count == workers.count, "one running state per replica of \(scaler.name)")
        // A stopped worker that has exited is no longer stopping: whatever starts it later runs it.
        for (worker, isRunning) in zip(workers, running) where !isRunning { remove(.graceEnd(worker)) }
        var directives: [FleetDirective] = []
        var decision: FleetPoll.Decision? = nil
        if let broker {
            precondition(broker.listLengths.count == scaler.lists.count, "one length per list of \(scaler.name)")
            let live = workers.indices.filter { running[$0] && !isStopping(workers[$0]) }.count
            let current = live + workers.filter(isStarting).count
            let listLength = zip(scaler.lists, broker.listLengths).first { $0.0 == scaler.kedaList }?.1 ?? 0
            let backlog = broker.listLengths.reduce(0, +) + broker.unacked
            let reading = FleetScalerPolicy.Reading(current: current, listLength: listLength, backlog: backlog,
                                                    oldestWait: broker.oldestDueAt.map { now - $0 } ?? .zero)
            let desired = scalers[index].policy.desired(reading, now: scheduled)
            scalers[index].desired = desired
            scalers[index].listLength = listLength
            scalers[index].backlog = backlog
            decision = FleetPoll.Decision(current: current, desired: desired, listLength: listLength, backlog: backlog)
            directives = follow(index, workers: workers, running: running, current: current, desired: desired, scheduled: scheduled)
        }
        let next = max(scheduled + scaler.spec.pollingInterval, now)
        add(.poll(scaler: index), at: next)
        directives.append(.schedulePoll(scaler: index, at: next))
        return FleetPoll(scaler: index, group: scaler.group, decision: decision, directives: directives)
    }

    /// A pending start's time has come: `.start` unless the start was cancelled, is not due yet
    /// (an earlier start's leftover event), or the worker already runs.
    public mutating func startDue(_ worker: FleetWorker, now: Instant, isRunning: Bool) -> [FleetDirective] {
        guard take(.start(worker), dueBy: now) != nil else { return [] }
        // Started again, it is no longer being stopped.
        remove(.graceEnd(worker))
        return isRunning ? [] : [.start(worker)]
    }

    /// A stopping worker's grace has ended: `.kill` if the process it stopped still runs.
    public mutating func graceEnded(_ worker: FleetWorker, now: Instant, isRunning: Bool) -> [FleetDirective] {
        guard take(.graceEnd(worker), dueBy: now) != nil else { return [] }
        return isRunning ? [.kill(worker)] : []
    }

    // MARK: Deciding

    /// Starts or stops workers until the group runs `desired`.
    private mutating func follow(_ index: Int, workers: [FleetWorker], running: [Bool], current: Int, desired: Int,
                                 scheduled: Instant) -> [FleetDirective] {
        let spec = scalers[index].spec
        var directives: [FleetDirective] = []
        if desired > current {
            var needed = desired - current
            for (place, worker) in workers.enumerated() where needed > 0 && !running[place] && !isStarting(worker) {
                let at = scheduled + spec.startupDelay
                add(.start(worker), at: at)
                directives.append(.scheduleStart(worker, at: at))
                needed -= 1
            }
        } else if desired < current {
            var surplus = current - desired
            // Cancel starts that have not happened yet before stopping running workers.
            for worker in workers.reversed() where surplus > 0 && isStarting(worker) {
                remove(.start(worker))
                directives.append(.cancelStart(worker))
                surplus -= 1
            }
            for (place, worker) in workers.enumerated().reversed() where surplus > 0 && running[place] && !isStopping(worker) {
                let killAt = scheduled + spec.shutdownGrace
                add(.graceEnd(worker), at: killAt)
                directives.append(.warmStop(worker, killAt: killAt))
                surplus -= 1
            }
        }
        return directives
    }

    // MARK: The agenda

    private mutating func add(_ due: Due, at: Instant) {
        agenda.append(Entry(at: at, sequence: nextSequence, due: due))
        nextSequence += 1
    }

    private func entry(for due: Due) -> Entry? { agenda.first { $0.due == due } }

    private mutating func remove(_ due: Due) { agenda.removeAll { $0.due == due } }

    /// Removes the entry if it is due by `now` and returns when it was due.
    private mutating func take(_ due: Due, dueBy now: Instant) -> Instant? {
        guard let place = agenda.firstIndex(where: { $0.due == due }), agenda[place].at <= now else { return nil }
        return agenda.remove(at: place).at
    }
}
