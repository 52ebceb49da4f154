import WorkerCore

/// The simulator's FIFO of worker inputs (which worker, which event), first in, first out.
///
/// A ring buffer that moves each input in and out. `Deque.append` copied its argument inside a
/// closure, through the runtime's generic tuple witness, and then destroyed the original: several
/// times per task for events that carry requests and outcomes. Single-threaded like the simulator
/// that owns it; its size follows the inputs waiting at one instant, not the run's length.
final class InputQueue {
    typealias Input = (worker: Int, event: WorkerEvent)

    private var storage: UnsafeMutablePointer<Input>
    private var capacity: Int
    private var head = 0
    private(set) var count = 0

    init(capacity: Int = 64) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit {
        while count > 0 { _ = popFirst() }
        storage.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    func append(_ input: consuming Input) {
        if count == capacity { grow() }
        (storage + (head + count) % capacity).initialize(to: input)
        count += 1
    }

    func popFirst() -> Input? {
        guard count > 0 else { return nil }
        let input = (storage + head).move()
        head = (head + 1) % capacity
        count -= 1
        return input
    }

    /// Doubles the buffer, moving the inputs to its start in order.
    private func grow() {
        let larger = UnsafeMutablePointer<Input>.allocate(capacity: capacity * 2)
        let firstRun = min(count, capacity - head)
        larger.moveInitialize(from: storage + head, count: firstRun)
        (larger + firstRun).moveInitialize(from: storage, count: count - firstRun)
        storage.deallocate()
        storage = larger
        capacity *= 2
        head = 0
    }
}
