import FleetControl
@testable import Simulation
import WorkerCore

/// A fake world for the fleet scaler's adapters: workers that start at once, drain for a scripted
/// time after a warm stop (or never, and are killed), a broker whose backlog follows a script, and
/// a log of every action the adapter took. It implements what the simulator's adapter needs (its
/// event queue included) and so, being a `FleetActuator`, what the real run's adapter needs.
final class RecordingFleet: SimFleetWorld {
    /// The time the adapter is acting at (the harness sets it before each call).
    var clock = Instant(microsecondsSinceEpoch: 0)
    /// "12.5s start worker-2", in the order the adapter acted.
    private(set) var actions: [String] = []
    /// The simulator's scaler events, as its queue orders them.
    var events = EventQueue()
    /// The simulator's adapter reports its decisions here ("15s desired 3 list 3 backlog 3").
    private(set) var decisions: [String] = []

    private let names: [String]
    private let drain: (Int) -> TimeSpan?
    private let backlog: (Instant) -> Int
    /// Per replica: until when it runs (nil: not running), and its incarnation.
    private var runsUntil: [Instant?]
    private var generations: [Int]

    /// `count` replicas run at the start; a warm-stopped replica exits `drain(replica)` later (nil:
    /// it outlives any grace); the broker holds `backlog(now)` messages in the first list.
    init(replicas: Int, count: Int, drain: @escaping (Int) -> TimeSpan?, backlog: @escaping (Instant) -> Int) {
        names = (1...replicas).map { "worker-\($0)" }
        self.drain = drain
        self.backlog = backlog
        runsUntil = (0..<replicas).map { $0 < count ? Instant(microsecondsSinceEpoch: .max) : nil }
        generations = Array(repeating: 1, count: replicas)
    }

    private func note(_ what: String, _ worker: FleetWorker) {
        actions.append("\(Double(clock.microsecondsSinceEpoch) / 1_000_000)s \(what) \(names[worker.replica])")
    }

    func isRunning(_ worker: FleetWorker) -> Bool { runsUntil[worker.replica].map { clock < $0 } ?? false }

    func readBroker(lists: [String], now: Instant) -> FleetBrokerReading? {
        var lengths = Array(repeating: 0, count: lists.count)
        lengths[0] = backlog(now)
        return FleetBrokerReading(listLengths: lengths, unacked: 0, oldestDueAt: nil)
    }

    func start(_ worker: FleetWorker, now: Instant) {
        note("start", worker)
        generations[worker.replica] += 1
        runsUntil[worker.replica] = Instant(microsecondsSinceEpoch: .max)
    }

    func warmStop(_ worker: FleetWorker, now: Instant) {
        note("warm-stop", worker)
        runsUntil[worker.replica] = drain(worker.replica).map { now + $0 } ?? Instant(microsecondsSinceEpoch: .max)
    }

    func kill(_ worker: FleetWorker, now: Instant) {
        note("kill", worker)
        runsUntil[worker.replica] = nil
    }

    // The simulator adapter's side.

    func schedule(_ event: SimEvent, at time: Instant) { events.schedule(event, at: time) }
    func simIndex(of worker: FleetWorker) -> Int { worker.replica }
    func fleetWorker(atSimIndex index: Int) -> FleetWorker { FleetWorker(group: 0, replica: index) }
    func generation(of worker: FleetWorker) -> Int { generations[worker.replica] }

    func polled(_ poll: FleetPoll, decision: FleetPoll.Decision, now: Instant) {
        decisions.append(Self.decision(at: now, desired: decision.desired, list: decision.listLength, backlog: decision.backlog))
    }

    func startScheduled(_ worker: FleetWorker, now: Instant) {}

    static func decision(at: Instant, desired: Int, list: Int, backlog: Int) -> String {
        "\(Double(at.microsecondsSinceEpoch) / 1_000_000)s desired \(desired) list \(list) backlog \(backlog)"
    }
}
