import CeleryWire
import Foundation

/// The bounded hand-off of remote-control requests from the mailbox thread to the main loop.
///
/// A client can PUBLISH far faster than the worker answers (a flood of 10,000 pings); the mailbox
/// thread must not grow the inbox without bound nor starve task processing. At most `capacity`
/// requests wait; beyond that a request is dropped and counted, and one warning line is written at
/// most every `warningInterval` seconds. The main loop is woken only when the queue turns non-empty
/// (one `.controlWaiting` input), and takes at most `batchLimit` requests per loop turn, so fetches
/// and finished tasks get their turn between batches.
final class ControlQueue: @unchecked Sendable {
    static let capacity = 1000
    static let batchLimit = 64
    static let warningInterval = 10.0

    private let lock = NSLock()
    private var waiting: [PidboxRequest] = []
    private var head = 0
    private var dropped = 0
    private var lastWarning = Date.distantPast

    /// Adds a request; returns whether the loop must be woken (the queue was empty), and a warning
    /// line when requests were dropped and none was written recently.
    func offer(_ request: PidboxRequest) -> (wake: Bool, warning: String?) {
        lock.withLock {
            let count = waiting.count - head
            if count >= Self.capacity {
                dropped += 1
                guard Date().timeIntervalSince(lastWarning) >= Self.warningInterval else { return (false, nil) }
                lastWarning = Date()
                let text = "remote control: \(dropped) request(s) dropped, \(Self.capacity) already waiting"
                dropped = 0
                return (false, text)
            }
            waiting.append(request)
            return (count == 0, nil)
        }
    }

    /// Up to `batchLimit` waiting requests, oldest first, and whether more remain.
    func take() -> (requests: [PidboxRequest], more: Bool) {
        lock.withLock {
            let end = min(waiting.count, head + Self.batchLimit)
            let batch = Array(waiting[head..<end])
            head = end
            if head == waiting.count {
                waiting.removeAll(keepingCapacity: waiting.count <= Self.capacity)
                head = 0
            } else if head >= Self.capacity {
                waiting.removeFirst(head)
                head = 0
            }
            return (batch, head < waiting.count)
        }
    }

    var count: Int { lock.withLock { waiting.count - head } }
}
