import CeleryWire
import FleetControl
import Scenarios
import Testing
import WorkerCore

/// The controller alone, without a driver: readings in, directives out.
@Suite("FleetController: which workers start and stop, and when")
struct FleetControllerTests {
    typealias S = ScalerScenarios
    func w(_ replica: Int, group: Int = 0) -> FleetWorker { FleetWorker(group: group, replica: replica) }
    func at(_ seconds: Double) -> Instant { S.at(seconds) }

    func controller(_ scenario: Scenario) -> FleetController { FleetController(scenario: scenario, start: at(0)) }

    /// One poll of the first scaled group with `backlog` waiting and `running` (one flag per replica).
    func poll(_ c: inout FleetController, at seconds: Double, backlog: Int, running: [Bool]) throws -> FleetPoll {
        try poll(&c, at: seconds, running: running, broker: S.reading(c, backlog: backlog))
    }

    /// One poll of a scaled group with a reading of its own (nil: the broker did not answer).
    func poll(_ c: inout FleetController, scaler: Int = 0, at seconds: Double, running: [Bool],
              broker: FleetBrokerReading?) throws -> FleetPoll {
        let result = c.poll(scaler: scaler, now: at(seconds), running: running, broker: broker)
        return try #require(result)
    }

    @Test("scaling up starts the lowest-numbered stopped workers, after the start-up delay")
    func scaleUpLowestFirst() throws {
        var c = controller(try S.scenario(startup: 10))
        // Replica 3 (worker-3) runs already, restarted by something else: it counts and is skipped.
        let result = try poll(&c, at: 15, backlog: 4, running: [true, false, true, false])
        #expect(result.decision == FleetPoll.Decision(current: 2, desired: 4, listLength: 4, backlog: 4))
        #expect(result.directives == [.scheduleStart(w(1), at: at(25)), .scheduleStart(w(3), at: at(25)),
                                      .schedulePoll(scaler: 0, at: at(30))])
        #expect(c.isStarting(w(1)) && c.isStarting(w(3)) && !c.isStarting(w(2)))
    }

    @Test("scaling down cancels pending starts, highest first, before stopping a running worker")
    func cancelBeforeStopping() throws {
        var c = controller(try S.scenario(startup: 60))
        let idle = [true, false, false, false]
        #expect(try poll(&c, at: 15, backlog: 4, running: idle).directives.count == 4)
        // Four counted (one running, three starting); two wanted.
        #expect(try poll(&c, at: 30, backlog: 2, running: idle).directives
                == [.cancelStart(w(3)), .cancelStart(w(2)), .schedulePoll(scaler: 0, at: at(45))])
        #expect(try poll(&c, at: 45, backlog: 0, running: idle).directives
                == [.cancelStart(w(1)), .warmStop(w(0), killAt: at(75)), .schedulePoll(scaler: 0, at: at(60))])
        #expect(!c.isStarting(w(1)) && c.isStopping(w(0)))
    }

    @Test("scaling down stops the highest-numbered running workers; a stopping worker no longer counts")
    func stopHighestFirst() throws {
        var c = controller(try S.scenario(count: 3))
        let three = [true, true, true, false]
        #expect(try poll(&c, at: 15, backlog: 1, running: three).directives
                == [.warmStop(w(2), killAt: at(45)), .warmStop(w(1), killAt: at(45)), .schedulePoll(scaler: 0, at: at(30))])
        // Still draining at the next poll: not counted, not stopped again, nothing started in their place.
        let next = try poll(&c, at: 30, backlog: 1, running: three)
        #expect(next.decision?.current == 1)
        #expect(next.directives == [.schedulePoll(scaler: 0, at: at(45))])
    }

    @Test("a kill comes at the grace end, and only for a worker still running")
    func killAtGraceEndOnlyIfRunning() throws {
        var c = controller(try S.scenario(count: 3))
        _ = try poll(&c, at: 15, backlog: 1, running: [true, true, true, false])
        #expect(c.graceEnded(w(2), now: at(44.9), isRunning: true) == [])
        #expect(c.graceEnded(w(2), now: at(45), isRunning: true) == [.kill(w(2))])
        #expect(c.graceEnded(w(1), now: at(45), isRunning: false) == [])
        #expect(!c.isStopping(w(2)) && !c.isStopping(w(1)))
        // Answered once: a second grace end for the same stop does nothing.
        #expect(c.graceEnded(w(2), now: at(45), isRunning: true) == [])
    }

    @Test("polls keep a fixed schedule: an early call is refused, a late poll does not move the next")
    func fixedPollSchedule() throws {
        var c = controller(try S.scenario())
        #expect(c.nextDeadline == at(15))
        #expect(c.poll(scaler: 0, now: at(14.9), running: [true, false, false, false], broker: S.reading(c, backlog: 1)) == nil)
        #expect(try poll(&c, at: 15.7, backlog: 1, running: [true, false, false, false]).directives
                == [.schedulePoll(scaler: 0, at: at(30))])
        #expect(c.nextDeadline == at(30))
        // So late the next is already past: it is due at once, not skipped.
        #expect(try poll(&c, at: 47, backlog: 1, running: [true, false, false, false]).directives
                == [.schedulePoll(scaler: 0, at: at(47))])
    }

    @Test("starts and kills are timed from the poll's scheduled time, not from when it ran")
    func timedFromTheScheduledPoll() throws {
        var up = controller(try S.scenario(count: 2, startup: 10))
        #expect(try poll(&up, at: 15.5, backlog: 3, running: [true, true, false, false]).directives.first
                == .scheduleStart(w(2), at: at(25)))
        var down = controller(try S.scenario(count: 2, grace: 20))
        #expect(try poll(&down, at: 15.5, backlog: 1, running: [true, true, false, false]).directives.first
                == .warmStop(w(1), killAt: at(35)))
    }

    @Test("a start or a kill falls due before the poll at the same instant")
    func startAndKillBeforePoll() throws {
        var kills = controller(try S.scenario(count: 2, grace: 15))
        _ = try poll(&kills, at: 15, backlog: 1, running: [true, true, false, false])
        #expect(kills.due(at: at(30)) == [.graceEnd(w(1)), .poll(scaler: 0)])
        var starts = controller(try S.scenario(startup: 15))
        _ = try poll(&starts, at: 15, backlog: 2, running: [true, false, false, false])
        #expect(starts.due(at: at(29.9)) == [])
        #expect(starts.due(at: at(30)) == [.start(w(1)), .poll(scaler: 0)])
    }

    @Test("a cancelled start asked for again happens at the new time; one for a running worker does nothing")
    func startDue() throws {
        var c = controller(try S.scenario(replicas: 3, startup: 40))
        let one = [true, false, false]
        #expect(try poll(&c, at: 15, backlog: 2, running: one).directives.first == .scheduleStart(w(1), at: at(55)))
        #expect(try poll(&c, at: 30, backlog: 1, running: one).directives.first == .cancelStart(w(1)))
        #expect(try poll(&c, at: 45, backlog: 2, running: one).directives.first == .scheduleStart(w(1), at: at(85)))
        // The cancelled start's time: nothing (a simulator's event for it is still queued).
        #expect(c.startDue(w(1), now: at(55), isRunning: false) == [])
        #expect(c.startDue(w(1), now: at(85), isRunning: false) == [.start(w(1))])
        #expect(!c.isStarting(w(1)))
        _ = try poll(&c, at: 60, backlog: 3, running: [true, true, false])
        #expect(c.startDue(w(2), now: at(100), isRunning: true) == [])
        #expect(!c.isStarting(w(2)))
    }

    @Test("the policy keeps its memory across polls: the HPA's scale-down stabilization holds the wish")
    func policyMemory() throws {
        var c = controller(try S.scenario(replicas: 6, stabilization: 60))
        var wishes: [Int] = []
        for (time, backlog) in [(15.0, 4), (30, 1), (45, 1), (60, 1), (75, 1), (90, 1)] {
            let result = try poll(&c, at: time, backlog: backlog, running: [true] + Array(repeating: false, count: 5))
            wishes.append(try #require(result.decision).desired)
        }
        // The recommendation of 4 at 15 s stays in the 60 s window until 75 s, and is gone at 90 s.
        #expect(wishes == [4, 4, 4, 4, 4, 1])
    }

    @Test("the oldest waiting message's age is measured at the poll: queue latency jumps past its threshold")
    func oldestWait() throws {
        var c = controller(try S.scenario(replicas: 6, policy: "policy: queue_latency, threshold: 5s, jump: 2"))
        let running = [true] + Array(repeating: false, count: 5)
        let young = try poll(&c, at: 15, running: running, broker: S.reading(c, backlog: 1, oldestDueAt: at(11)))
        #expect(young.decision?.desired == 1)
        let old = try poll(&c, at: 30, running: running, broker: S.reading(c, backlog: 1, oldestDueAt: at(24)))
        #expect(old.decision?.desired == 3)
    }

    @Test("KEDA reads its one list; the backlog is every list plus unacked")
    func listAndBacklog() throws {
        var c = controller(try S.scenario(policy: "policy: queue_length, list_length: 1"))
        let lists = c.scalers[0].lists
        #expect(lists == PriorityQueueKeys.allKeys(queue: "celery", steps: [0, 3, 6, 9]) && c.scalers[0].kedaList == "celery")
        let reading = FleetBrokerReading(listLengths: [2, 5, 0, 1], unacked: 7, oldestDueAt: nil)
        let result = try poll(&c, at: 15, running: [true, false, false, false], broker: reading)
        #expect(result.decision?.listLength == 2 && result.decision?.backlog == 15 && result.decision?.desired == 2)
    }

    @Test("a poll the broker did not answer decides nothing and keeps the schedule")
    func unansweredPoll() throws {
        var c = controller(try S.scenario(count: 2))
        let result = try poll(&c, at: 15, running: [true, true, false, false], broker: nil)
        #expect(result.decision == nil && result.directives == [.schedulePoll(scaler: 0, at: at(30))])
        #expect(c.figures == FleetController.Figures(desired: 2, listLength: 0, backlog: 0))
    }

    @Test("a stopped worker that exited is no longer stopping: restarted by a fault, it is not killed")
    func exitedWorkerIsNotStopping() throws {
        var c = controller(try S.scenario(count: 2, grace: 60))
        _ = try poll(&c, at: 15, backlog: 1, running: [true, true, false, false])
        #expect(c.isStopping(w(1)))
        _ = try poll(&c, at: 30, backlog: 1, running: [true, false, false, false])
        #expect(!c.isStopping(w(1)))
        #expect(c.graceEnded(w(1), now: at(75), isRunning: true) == [])
    }

    @Test("every scaled group has its own schedule and workers; the figures sum them, unscaled groups aside")
    func severalGroups() throws {
        var c = controller(try S.scenario(extraGroup: true))
        #expect(c.scalers.map(\.group) == [0, 2] && c.scalers[1].kedaList == "other")
        #expect(c.workers(ofScaler: 1).first == w(0, group: 2))
        #expect(c.figures == FleetController.Figures(desired: 2, listLength: 0, backlog: 0))
        #expect(c.due(at: at(15)) == [.poll(scaler: 0), .poll(scaler: 1)])
        _ = try poll(&c, at: 15, backlog: 3, running: [true, false, false, false])
        let other = try poll(&c, scaler: 1, at: 15, running: [true, false, false, false],
                             broker: S.reading(c, scaler: 1, backlog: 2))
        #expect(other.directives.first == .scheduleStart(w(1, group: 2), at: at(15)))
        #expect(c.figures == FleetController.Figures(desired: 5, listLength: 5, backlog: 5))
    }
}
