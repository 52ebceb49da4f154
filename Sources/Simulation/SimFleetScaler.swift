import FleetControl
import Scenarios
import WorkerCore

/// What the simulator's fleet-scaler adapter needs of the simulator beyond `FleetActuator`: its
/// event queue, its worker numbering and incarnations, and the two trace records a decision makes.
/// The simulator implements it; the cross-driver tests implement it with a recording fake.
protocol SimFleetWorld: FleetActuator {
    /// Puts a scaler event on the event queue.
    func schedule(_ event: SimEvent, at time: Instant)
    /// The worker's index among the simulator's workers (what the scaler events carry).
    func simIndex(of worker: FleetWorker) -> Int
    func fleetWorker(atSimIndex index: Int) -> FleetWorker
    /// The worker's incarnation: a grace end kills only the process it stopped.
    func generation(of worker: FleetWorker) -> Int
    /// A poll decided (the trace's `scaler` record).
    func polled(_ poll: FleetPoll, decision: FleetPoll.Decision, now: Instant)
    /// A start was scheduled after the start-up delay (the trace's `scale-up` record).
    func startScheduled(_ worker: FleetWorker, now: Instant)
}

/// The simulator's adapter to `FleetController`: a poll, a start and a grace end are each an event
/// on the simulator's queue, put there when the controller decides them, so they interleave with
/// the run's other events by (time, insertion order) exactly as they always have. The adapter reads
/// the world, passes it in, and carries out the directives; it decides nothing.
final class SimFleetScaler {
    private(set) var controller: FleetController

    init(scenario: Scenario, start: Instant) {
        controller = FleetController(scenario: scenario, start: start)
    }

    var isEmpty: Bool { controller.isEmpty }

    /// Schedules every scaled group's first poll.
    func begin(_ world: SimFleetWorld, now: Instant) {
        carryOut(controller.openingDirectives, world, now: now)
    }

    /// `.scalerTick`: one scaled group's poll.
    func poll(scaler index: Int, _ world: SimFleetWorld, now: Instant) {
        let running = controller.workers(ofScaler: index).map(world.isRunning)
        let broker = world.readBroker(lists: controller.scalers[index].lists, now: now)
        guard let poll = controller.poll(scaler: index, now: now, running: running, broker: broker) else { return }
        if let decision = poll.decision { world.polled(poll, decision: decision, now: now) }
        carryOut(poll.directives, world, now: now)
    }

    /// `.scalerStart`: a start's delay is over (or a cancelled start's event arrives, and nothing happens).
    func startDue(simIndex: Int, _ world: SimFleetWorld, now: Instant) {
        let worker = world.fleetWorker(atSimIndex: simIndex)
        carryOut(controller.startDue(worker, now: now, isRunning: world.isRunning(worker)), world, now: now)
    }

    /// `.scalerGraceOver`: the grace of the incarnation stopped as `generation` has ended.
    func graceOver(simIndex: Int, generation: Int, _ world: SimFleetWorld, now: Instant) {
        let worker = world.fleetWorker(atSimIndex: simIndex)
        let stillRunning = world.isRunning(worker) && world.generation(of: worker) == generation
        carryOut(controller.graceEnded(worker, now: now, isRunning: stillRunning), world, now: now)
    }

    private func carryOut(_ directives: [FleetDirective], _ world: SimFleetWorld, now: Instant) {
        for directive in directives {
            switch directive {
            case .scheduleStart(let worker, let at):
                world.startScheduled(worker, now: now)
                world.schedule(.scalerStart(worker: world.simIndex(of: worker)), at: at)
            case .cancelStart:
                // The start's event stays queued; the controller answers it with nothing.
                break
            case .start(let worker):
                world.start(worker, now: now)
            case .warmStop(let worker, let killAt):
                world.warmStop(worker, now: now)
                world.schedule(.scalerGraceOver(worker: world.simIndex(of: worker), generation: world.generation(of: worker)), at: killAt)
            case .kill(let worker):
                world.kill(worker, now: now)
            case .schedulePoll(let scaler, let at):
                world.schedule(.scalerTick(scaler), at: at)
            }
        }
    }
}
