import CPrecisePoll
import Foundation
import Glibc
import RedisClient
import WorkerCore

/// Everything that happens to a live worker off its main loop — a BRPOP reply, a finished task
/// body, a signal — arrives here; the loop takes it all in order, or waits until its next deadline.
final class WorkerInbox: @unchecked Sendable {
    enum Input {
        /// What one fetch brought: nothing, one message (BRPOP) or several (a batch).
        case fetched([RedisBroker.Delivery])
        case fetchFailed(RedisError)
        case finished(slot: Int, execution: UInt64, result: TaskBodyResult, runtime: Double, childResidentKiB: Int? = nil,
                      memory: ChildMemory? = nil)
        /// A prefork child said it is ready to run tasks.
        case childReady(slot: Int, generation: Int)
        /// A prefork child process ended.
        case childExited(slot: Int, generation: Int, status: Int32, signalled: Bool)
        case stateUpdated(slot: Int, execution: UInt64, state: String, meta: String)
        case shutdown(ShutdownKind)
        /// Remote-control requests wait in the driver's `ControlQueue` (bounded).
        case controlWaiting
    }

    private let lock = NSLock()
    private var inputs: [Input] = []
    /// Whether the loop is (about to be) asleep in `poll`, so a post must wake it.
    private var loopWaiting = false
    /// A self-pipe: a post writes a byte to `wakeWriteFD` to wake the loop's `poll` on `wakeReadFD`.
    private let wakeReadFD: Int32
    private let wakeWriteFD: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 { fatalError("cannot create the worker's wake-up pipe: errno \(errno)") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeReadFD = fds[0]
        wakeWriteFD = fds[1]
    }

    deinit {
        close(wakeReadFD)
        close(wakeWriteFD)
    }

    func post(_ input: Input) {
        let wake = lock.withLock { () -> Bool in
            inputs.append(input)
            return loopWaiting
        }
        if wake {
            var byte: UInt8 = 1
            _ = write(wakeWriteFD, &byte, 1)
        }
    }

    /// Whether a shutdown was asked for and the loop has not taken it yet: a loop stuck waiting out
    /// a broker outage checks this, so a stop still ends a worker whose broker never comes back.
    var shutdownPending: Bool {
        lock.withLock { inputs.contains { if case .shutdown = $0 { return true } else { return false } } }
    }

    /// Removes and returns what fetches delivered, leaving every other input in place.
    func takeFetched() -> [RedisBroker.Delivery] {
        lock.withLock {
            var fetched: [RedisBroker.Delivery] = []
            inputs.removeAll { input in
                guard case .fetched(let deliveries) = input else { return false }
                fetched.append(contentsOf: deliveries)
                return true
            }
            return fetched
        }
    }

    /// Everything posted so far, first waiting until something is posted, one of `descriptors`
    /// becomes readable (a prefork child's output, or the broker connection with replies to the
    /// writes and fetch the loop sent; the caller then reads them), or `deadline` passes. The loop
    /// waits in one `poll` for all of them, so neither a child's result nor a fetched message costs
    /// a thread hop.
    /// `readable` is set to the descriptors the poll found readable, or nil when it did not poll
    /// (inputs were already waiting): then any of them may have output.
    func take(until deadline: Date, watching descriptors: [Int32] = [], readable: inout [Int32]?) -> [Input] {
        readable = nil
        let ready = lock.withLock { () -> Bool in
            if inputs.isEmpty { loopWaiting = true }
            return !inputs.isEmpty
        }
        if !ready {
            var fds = [pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0)]
            fds += descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            while true {
                let remainingMicros = max(0, Int64((deadline.timeIntervalSinceNow * 1_000_000).rounded(.up)))
                let timeoutMicros = Self.pollTimeoutMicros(remainingMicros: remainingMicros)
                let ready = lovage_poll_micros(&fds, nfds_t(fds.count), timeoutMicros)
                if ready != 0 || timeoutMicros == remainingMicros { break }
            }
            if fds[0].revents != 0 {
                var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
                // A short read emptied the pipe (each post writes one byte).
                while withUnsafeMutableBytes(of: &bytes, { read(wakeReadFD, $0.baseAddress, $0.count) }) == 32 {}
            }
            readable = fds.dropFirst().filter { $0.revents != 0 }.map { $0.fd }
        }
        return takeNow()
    }

    /// Everything posted so far, without waiting.
    func takeNow() -> [Input] {
        lock.withLock {
            loopWaiting = false
            let taken = inputs
            inputs.removeAll(keepingCapacity: true)
            return taken
        }
    }
}

extension WorkerInbox {
    /// A wait up to this long ends within Linux's minimum timer slack (50 µs); a longer one may end
    /// 0.1% of its length late (`select_estimate_accuracy` in the kernel's fs/select.c).
    static let exactWaitLimitMicros: Int64 = 50_000

    /// How long one poll may wait for a deadline `remainingMicros` away so that it does not wake
    /// late: a wait longer than `exactWaitLimitMicros` stops short by twice its slack and the rest is
    /// waited again. Without this a task held for its eta (or a retry's countdown) started up to 2 ms
    /// late when the loop's wait was the 2 s heartbeat interval — a millisecond and a half on
    /// average, which the simulated worker does not have.
    static func pollTimeoutMicros(remainingMicros: Int64) -> Int64 {
        if remainingMicros <= exactWaitLimitMicros { return remainingMicros }
        return remainingMicros - remainingMicros / 500
    }
}
