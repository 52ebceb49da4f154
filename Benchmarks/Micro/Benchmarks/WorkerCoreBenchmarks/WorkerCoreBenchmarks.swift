import Benchmark
import MallocGate
import WorkerCore

/// One step of the sans-IO worker: a message is delivered, the core starts it on a child, the body
/// succeeds and the core stores the result, acknowledges and asks for the next message. Both the
/// simulator and the live worker pay this for every task, so its allocations multiply by millions.
let benchmarks: @Sendable () -> Void = {
    Benchmark("WorkerCore.deliverAndFinish", configuration: MallocGate.configuration) {
        (benchmark: Benchmark, driver: CoreStepDriver) in
        for _ in benchmark.scaledIterations {
            driver.deliverAndFinish()
        }
    } setup: {
        try CoreStepDriver()
    }
}

/// Drives one `WorkerCore` the way a driver does, with Dify's worker settings (`-c 1`, late acks,
/// prefetch multiplier 1, a one-hour hard time limit): every iteration goes from "one fetch
/// outstanding, child idle" back to that same state, so each one does the same work.
final class CoreStepDriver {
    private var core: WorkerCore
    private var now = Instant(microsecondsSinceEpoch: 1_795_921_000_000_000)
    /// Reused like the drivers reuse theirs: the benchmark counts the core's allocations, not the
    /// growth of a fresh array.
    private var directives: [WorkerDirective] = []
    /// The request a driver builds from a decoded message (that cost is CeleryWire's benchmark).
    private let request = TaskRequest(
        id: "aa9c7612-0ed3-44ac-bd33-65214c675aad", name: "app.add", queue: "celery",
        deliveryTag: "2e69daaa-d13b-48f7-8511-8a231781f7f9")

    init() throws {
        var options = TaskOptions()
        options.acksLate = true
        options.timeLimit = .seconds(3600)
        let config = WorkerConfig(hostname: "worker-1@bench", queues: ["celery"], concurrency: 1,
                                  prefetchMultiplier: 1, taskDefaults: options)
        core = WorkerCore(config: config, jitterSeed: 42)
        core.handle(.start, now: now, into: &directives)
        guard case .spawnChild(let slot)? = directives.first(where: { if case .spawnChild = $0 { true } else { false } }) else {
            throw DriverError("the core did not spawn a child at start: \(directives)")
        }
        core.handle(.childReady(slot: slot), now: now, into: &directives)
        guard directives.contains(where: { if case .fetch = $0 { true } else { false } }) else {
            throw DriverError("the core did not fetch after starting its child: \(directives)")
        }
        directives.removeAll(keepingCapacity: true)
        // One step here, checked, so the benchmark measures the path it claims to.
        let (acked, stored) = deliverAndFinish()
        guard acked, stored else {
            throw DriverError("a finished task was not acknowledged and stored (acked \(acked), stored \(stored))")
        }
    }

    /// Delivers the request, finishes the execution the core starts 100 ms later and returns whether
    /// the core acknowledged the message and stored a result.
    @discardableResult
    func deliverAndFinish() -> (acked: Bool, stored: Bool) {
        core.handle(.delivered(request), now: now, into: &directives)
        var started: (slot: Int, execution: UInt64)?
        for directive in directives {
            if case .execute(let slot, let execution, _, _, _) = directive { started = (slot, execution) }
        }
        directives.removeAll(keepingCapacity: true)
        guard let started else { return (false, false) }
        now = now + .milliseconds(100)
        core.handle(.taskFinished(slot: started.slot, execution: started.execution,
                                  outcome: .succeeded(resultJSON: "5"), childResidentKiB: nil),
                    now: now, into: &directives)
        var acked = false, stored = false
        for directive in directives {
            switch directive {
            case .ack: acked = true
            case .storeResult: stored = true
            default: break
            }
        }
        directives.removeAll(keepingCapacity: true)
        return (acked, stored)
    }
}

struct DriverError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
