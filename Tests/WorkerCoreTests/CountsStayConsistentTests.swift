import Testing
@testable import WorkerCore

/// The core's counters against a driver's own account of the directives: every delivery is settled
/// (acknowledged, rejected or given back) at most once, so the unacknowledged count never goes below
/// zero and always equals the deliveries the driver has not been told to settle; and the running
/// count equals the executions started and not yet finished, killed or lost.
@Suite("Counts stay consistent on every path")
struct CountsStayConsistentTests {
    @Test("a seeded walk through deliveries, outcomes, limits, losses, revokes and shutdowns", arguments: [
        (seed: UInt64(1), acksLate: true), (seed: 2, acksLate: false), (seed: 3, acksLate: true),
        (seed: 4, acksLate: false), (seed: 5, acksLate: true), (seed: 6, acksLate: true),
    ])
    func seededWalk(seed: UInt64, acksLate: Bool) {
        var walk = Walk(seed: seed, config: config(concurrency: 3, prefetch: 2, acksLate: acksLate) { c in
            c.taskDefaults.timeLimit = .seconds(30)
            c.taskDefaults.softTimeLimit = .seconds(20)
            c.taskDefaults.rejectOnWorkerLost = seed % 2 == 1
            c.taskDefaults.acksOnFailureOrTimeout = seed % 3 != 0
            c.taskDefaults.retry.autoretryFor = ["ConnectionError"]
            c.taskDefaults.retry.maxRetries = 2
            c.maxTasksPerChild = 3
            var limited = c.taskDefaults
            limited.rateLimit = RateLimit.parse("2/s")
            c.taskOptions["app.limited"] = limited
            if seed >= 5 { c.autoscale = AutoscaleSettings(maxConcurrency: 3, minConcurrency: 1, keepalive: .seconds(5)) }
        })
        walk.run(steps: 600)
        #expect(walk.violations == [], "seed \(seed)")
        #expect(walk.delivered > 50, "the walk delivered \(walk.delivered) messages")
        #expect(walk.core.lifecycle == .stopped)
        #expect(walk.core.unacknowledgedCount == 0, "a stopped worker holds nothing")
    }

    @Test("the guard: a count cannot be taken below zero, and says so without trapping")
    func guardRefusesUnderflow() {
        var count = NonNegativeCount()
        #expect(count.subtracting(1) == nil)
        count.add()
        count.add(2)
        #expect(count.subtracting(3)?.value == 0)
        #expect(count.subtracting(4) == nil)
        #expect(count.subtracting(-1) == nil, "a negative amount would be an increment in disguise")
        count.subtract(2)
        #expect(count.value == 1)
    }

    @Test("a busy slot carries its task: running tasks are exactly the busy slots")
    func busySlotsCarryTheirTask() {
        var h = CoreHarness(config(concurrency: 2, prefetch: 2))
        h.start()
        let first = h.send(.delivered(h.request())).executions
        #expect(first.count == 1)
        #expect(h.core.slots.filter(\.isBusy).map { $0.running?.execution } == [first[0].execution])
        #expect(h.core.slots.allSatisfy { $0.isBusy == ($0.running != nil) })
        h.send(.taskFinished(slot: first[0].slot, execution: first[0].execution,
                             outcome: .succeeded(resultJSON: nil), childResidentKiB: nil))
        #expect(h.core.slots[first[0].slot].state == .idle)
        #expect(h.core.runningCount == 0)
    }
}

/// A driver that takes random but legal steps, answering only what the core asked for, and keeps
/// its own account of what the core told it to hold, settle and run.
private struct Walk {
    var h: CoreHarness
    var random: SeededRandom
    var violations: [String] = []
    var delivered = 0
    /// Delivery tags the driver holds unsettled, in delivery order.
    var unsettled: [String] = []
    /// Executions started and not yet ended (finished, lost or killed), by slot.
    var running: [Int: UInt64] = [:]
    /// Slots whose child the core asked to start (spawn or replace) and that are not ready yet.
    var starting: [Int] = []
    var fetchOutstanding = false
    var taskIDs: [String] = []
    var core: WorkerCore { h.core }

    init(seed: UInt64, config: WorkerConfig) {
        h = CoreHarness(config, jitterSeed: seed)
        random = SeededRandom(seed: seed)
    }

    mutating func run(steps: Int) {
        account(h.send(.start), after: "start")
        for step in 0..<steps { takeStep(step) }
        account(h.send(.shutdown(random.next(upperBound: UInt64(2)) == 0 ? .warm : .cold)), after: "shutdown")
        // A warm shutdown ends once the running tasks do.
        while core.lifecycle != .stopped, let (slot, execution) = running.sorted(by: { $0.key < $1.key }).first {
            running[slot] = nil
            account(h.send(.taskFinished(slot: slot, execution: execution, outcome: .succeeded(resultJSON: nil),
                                         childResidentKiB: nil)), after: "finish during shutdown")
        }
    }

    private mutating func takeStep(_ step: Int) {
        switch random.next(upperBound: UInt64(10)) {
        case 0, 1, 2:
            guard fetchOutstanding else { return advance() }
            fetchOutstanding = false
            account(h.send(.delivered(newRequest())), after: "deliver")
        case 3:
            guard fetchOutstanding else { return advance() }
            fetchOutstanding = false
            account(h.send(.fetchReturnedEmpty), after: "empty fetch")
        case 4, 5:
            guard let (slot, execution) = pick(running.sorted(by: { $0.key < $1.key })) else { return advance() }
            running[slot] = nil
            account(h.send(.taskFinished(slot: slot, execution: execution, outcome: outcome(),
                                         childResidentKiB: nil)), after: "finish")
        case 6:
            guard let slot = pick(starting) else { return advance() }
            starting.removeAll { $0 == slot }
            account(h.send(.childReady(slot: slot)), after: "child ready")
        case 7:
            guard let slot = pick(running.keys.sorted()) else { return advance() }
            running[slot] = nil
            account(h.send(.childLost(slot: slot, reason: "signal 9")), after: "child lost")
        case 8:
            guard let id = pick(taskIDs) else { return advance() }
            account(h.send(.revoke(taskID: id, terminate: random.next(upperBound: UInt64(2)) == 0)), after: "revoke")
        default:
            advance()
        }
    }

    private mutating func advance() {
        account(h.advance(by: .milliseconds(Int64(random.next(upperBound: UInt64(8000))))), after: "timers")
    }

    private mutating func newRequest() -> TaskRequest {
        let name = random.next(upperBound: UInt64(4)) == 0 ? "app.limited" : "app.add"
        let eta: TimeSpan? = random.next(upperBound: UInt64(5)) == 0 ? .seconds(3) : nil
        let expires: TimeSpan? = random.next(upperBound: UInt64(8)) == 0 ? .seconds(-1) : nil
        var request = h.request(name, eta: eta, expires: expires)
        // Some deliveries are retries or redeliveries of tasks seen before (same id).
        if let id = pick(taskIDs), random.next(upperBound: UInt64(4)) == 0 { request.id = id } else { taskIDs.append(request.id) }
        delivered += 1
        unsettled.append(request.deliveryTag)
        return request
    }

    private mutating func outcome() -> TaskOutcome {
        let error = ErrorDescription(type: "ConnectionError", message: "flaky")
        switch random.next(upperBound: UInt64(6)) {
        case 0: return .failed(error)
        case 1: return .retryRequested(countdown: random.next(upperBound: UInt64(2)) == 0 ? nil : .seconds(2), error: error)
        case 2: return .rejected(requeue: random.next(upperBound: UInt64(2)) == 0)
        case 3: return .ignored
        case 4: return .failed(ErrorDescription(type: "KeyError", message: "bad key"))
        default: return .succeeded(resultJSON: "1")
        }
    }

    private mutating func pick<T>(_ items: [T]) -> T? {
        items.isEmpty ? nil : items[Int(random.next(upperBound: UInt64(items.count)))]
    }

    /// Carries the directives into the driver's account and checks the core's counts against it.
    private mutating func account(_ out: [WorkerDirective], after what: String) {
        for directive in out {
            switch directive {
            case .fetch:
                if fetchOutstanding { violations.append("\(what): a second fetch while one is outstanding") }
                fetchOutstanding = true
            case .ack(let request), .reject(let request, _):
                settle(request.deliveryTag, after: what)
            case .restore(let requests):
                for request in requests { settle(request.deliveryTag, after: what) }
            case .execute(let slot, let execution, _, _, _):
                if running[slot] != nil { violations.append("\(what): slot \(slot) started a second task") }
                running[slot] = execution
            case .killChild(let slot, _):
                running[slot] = nil
            case .spawnChild(let slot), .replaceChild(let slot, _):
                starting.append(slot)
            case .retireChild(let slot):
                starting.removeAll { $0 == slot }
            case .stopConsuming:
                fetchOutstanding = false
            default:
                break
            }
        }
        if core.unacknowledgedCount < 0 { violations.append("\(what): unacknowledged count \(core.unacknowledgedCount)") }
        if core.unacknowledgedCount != unsettled.count {
            violations.append("\(what): the core counts \(core.unacknowledgedCount) unacknowledged, the driver holds \(unsettled.count)")
        }
        if core.runningCount != running.count {
            violations.append("\(what): the core runs \(core.runningCount), the driver \(running.count)")
        }
    }

    private mutating func settle(_ tag: String, after what: String) {
        guard let index = unsettled.firstIndex(of: tag) else {
            violations.append("\(what): \(tag) settled twice, or never delivered")
            return
        }
        unsettled.remove(at: index)
    }
}
