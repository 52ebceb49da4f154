import FleetControl
import Logging
import RedisClient
import Reports
import Scenarios
import WorkerCore

/// The fleet scalers of a real run: `FleetController` decides, on the run's clock; this adapter
/// hands it what the fleet and the broker show whenever something is due (`nextDue`) and carries
/// out its directives — `lovage worker` processes started after the start-up delay, stopped with
/// SIGTERM, SIGKILLed when the shutdown grace runs out — through a `FleetActuator` (the real
/// processes and Redis, `RealFleetActuator`, or a recording fake in tests).
final class RealFleetScaler {
    /// What a poll saw and decided, for the timeline.
    struct Poll {
        var atMicros: Int64
        var figures: RunSummary.FleetFigures
    }

    private var controller: FleetController
    private let world: FleetActuator
    private(set) var polls: [Poll] = []

    init(scenario: Scenario, world: FleetActuator) {
        controller = FleetController(scenario: scenario, start: Instant(microsecondsSinceEpoch: 0))
        self.world = world
    }

    convenience init(scenario: Scenario, fleet: WorkerFleet, url: RedisURL, intendedOffsetOfTask: @escaping (String) -> TimeSpan?,
                     logger: Logger) {
        self.init(scenario: scenario, world: RealFleetActuator(fleet: fleet, url: url, intendedOffsetOfTask: intendedOffsetOfTask, logger: logger))
    }

    var isEmpty: Bool { controller.isEmpty }

    /// When `tick` next has something to do (a start, a kill or a poll); nil without scaled groups.
    var nextDue: TimeSpan? { controller.nextDeadline.map { TimeSpan(microseconds: $0.microsecondsSinceEpoch) } }

    /// Handles everything due by `now` (starts, grace ends and polls, in the order they fall due).
    func tick(now: TimeSpan) {
        let at = Instant(microsecondsSinceEpoch: now.microseconds)
        for due in controller.due(at: at) {
            switch due {
            case .poll(let index):
                let running = controller.workers(ofScaler: index).map(world.isRunning)
                let broker = world.readBroker(lists: controller.scalers[index].lists, now: at)
                guard let poll = controller.poll(scaler: index, now: at, running: running, broker: broker) else { continue }
                if poll.decision != nil {
                    let figures = controller.figures
                    polls.append(Poll(atMicros: now.microseconds, figures: RunSummary.FleetFigures(
                        desiredWorkers: figures.desired, kedaListLength: figures.listLength, celeryBacklog: figures.backlog)))
                }
                carryOut(poll.directives, now: at)
            case .start(let worker):
                carryOut(controller.startDue(worker, now: at, isRunning: world.isRunning(worker)), now: at)
            case .graceEnd(let worker):
                carryOut(controller.graceEnded(worker, now: at, isRunning: world.isRunning(worker)), now: at)
            }
        }
    }

    private func carryOut(_ directives: [FleetDirective], now: Instant) {
        for directive in directives {
            switch directive {
            case .start(let worker): world.start(worker, now: now)
            case .warmStop(let worker, _): world.warmStop(worker, now: now)
            case .kill(let worker): world.kill(worker, now: now)
            // Timed directives wait on the controller's agenda: `nextDue` brings them back.
            case .scheduleStart, .cancelStart, .schedulePoll: break
            }
        }
    }
}
