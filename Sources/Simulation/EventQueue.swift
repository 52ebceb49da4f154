import HeapModule
import WorkerCore

/// The simulator's agenda: events ordered by (time, insertion sequence), like swift-nio's
/// `EmbeddedEventLoop`, so two events at the same instant always run in the order they were scheduled.
struct EventQueue {
    private struct Entry: Comparable {
        var time: Instant
        var sequence: UInt64
        var event: SimEvent

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            lhs.time != rhs.time ? lhs.time < rhs.time : lhs.sequence < rhs.sequence
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.time == rhs.time && lhs.sequence == rhs.sequence
        }
    }

    private var heap: Heap<Entry> = []
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var nextTime: Instant? { heap.min?.time }

    mutating func schedule(_ event: SimEvent, at time: Instant) {
        nextSequence += 1
        heap.insert(Entry(time: time, sequence: nextSequence, event: event))
    }

    mutating func pop() -> (Instant, SimEvent)? {
        guard let entry = heap.popMin() else { return nil }
        return (entry.time, entry.event)
    }
}

/// Everything that can happen in a simulated run.
enum SimEvent {
    /// The next steady-load publish.
    case arrival
    /// A burst from the scenario (index into `load.bursts`).
    case burst(Int)
    /// A worker's core asked to be woken (its generation guards against a restarted worker).
    case workerTimer(worker: Int, generation: Int)
    /// A task body has slept its time and writes the memory it keeps (`host.memory_write`).
    case bodyWritesMemory(worker: Int, generation: Int, slot: Int, execution: UInt64)
    /// A task body ends in a slot.
    case bodyFinished(worker: Int, generation: Int, slot: Int, execution: UInt64)
    /// A child process dies under its task.
    case childCrashed(worker: Int, generation: Int, slot: Int, execution: UInt64)
    /// A child process finished starting.
    case childReady(worker: Int, generation: Int, slot: Int)
    /// A fault begins (index into `faults`) or a window fault ends.
    case faultStart(Int)
    case faultEnd(Int)
    /// A scenario's scheduled control (index into `scenario.controls`).
    case control(Int)
    /// A delayed broker command (broker latency). Indirect keeps every other event small, so the
    /// agenda's heap moves a few words per entry instead of a whole task request.
    indirect case brokerCommand(BrokerCommand)
    /// Sample the timeline.
    case sample
    /// A fleet scaler's poll (index into the scaled groups).
    case scalerTick(Int)
    /// A worker the fleet scaler started begins consuming after its start-up delay.
    case scalerStart(worker: Int)
    /// A started worker has booted (`worker_boot`) and begins consuming.
    case workerBooted(worker: Int, generation: Int)
    /// An OOM-killed worker comes back (its restart policy).
    case oomRestart(worker: Int)
    /// A worker the fleet scaler stopped is killed if still running after its shutdown grace.
    case scalerGraceOver(worker: Int, generation: Int)
    /// A beat process's loop wakes (index into the simulator's beats; the generation guards against
    /// a beat killed or restarted since).
    case beatWake(beat: Int, generation: Int)
    /// A beat stopped by `restart_beat` starts again after its downtime.
    case beatRestart(beat: Int)
}

/// A broker command in flight when latency is modelled: a publish on its way to Redis, or a BRPOP
/// reply on its way back to a worker. Acks and rejects take effect at once (their timing does not
/// change what any worker decides).
enum BrokerCommand {
    case publish(TaskRequest, worker: Int?)
    case deliver(worker: Int, generation: Int, TaskRequest)
}
