import Foundation

/// The threads pool: one long-lived thread per slot, so starting a task costs a signal, not a
/// thread. A slot whose body was abandoned (hard time limit, terminate) gets a fresh thread; the
/// old one finishes its body, reports a result the core ignores as stale, and exits.
final class SlotThreads: @unchecked Sendable {
    private final class Runner: @unchecked Sendable {
        let condition = NSCondition()
        var job: (@Sendable () -> Void)?
        var retired = false

        func start(name: String) {
            let thread = Thread { [self] in loop() }
            thread.name = name
            thread.start()
        }

        /// Signalled after the lock is released: a thread woken while the submitter still held it
        /// would go straight back to sleep on the lock, and cost a second wake-up (a futex call each,
        /// for every task). The waiter checks `job` under the lock, so no wake-up is lost.
        func submit(_ work: @escaping @Sendable () -> Void) {
            condition.lock()
            job = work
            condition.unlock()
            condition.signal()
        }

        func retire() {
            condition.lock()
            retired = true
            condition.signal()
            condition.unlock()
        }

        private func loop() {
            while true {
                condition.lock()
                while job == nil && !retired { condition.wait() }
                let work = job
                job = nil
                let stop = retired
                condition.unlock()
                work?()
                if stop { return }
            }
        }
    }

    private let lock = NSLock()
    private var runners: [Int: Runner] = [:]

    /// Runs `work` on the slot's thread.
    func run(slot: Int, _ work: @escaping @Sendable () -> Void) {
        let runner: Runner = lock.withLock {
            if let existing = runners[slot] { return existing }
            let fresh = Runner()
            fresh.start(name: "lovage-slot-\(slot)")
            runners[slot] = fresh
            return fresh
        }
        runner.submit(work)
    }

    /// The slot's body was abandoned: the next task in this slot gets a new thread.
    func abandon(slot: Int) {
        let runner = lock.withLock { runners.removeValue(forKey: slot) }
        runner?.retire()
    }

    func stopAll() {
        let all = lock.withLock { () -> [Runner] in
            let values = Array(runners.values)
            runners.removeAll()
            return values
        }
        for runner in all { runner.retire() }
    }
}
