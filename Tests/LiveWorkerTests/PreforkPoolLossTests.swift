import Foundation
@testable import LiveWorker
import Logging
import Testing

/// A child whose output stops being frames cannot report its task's outcome: the pool kills it as
/// a crash would, so the core sees the slot lost (WorkerLostError) instead of waiting for ever.
@Suite("Prefork pool: a child that breaks the frame protocol")
struct PreforkPoolLossTests {
    /// Plays the child with `sh`: writes `bytes` (printf escapes) on its stdout, then waits.
    private func pool(writing bytes: String, inbox: WorkerInbox) -> PreforkPool {
        PreforkPool(inbox: inbox, logger: Logger(label: "test"), executable: URL(fileURLWithPath: "/bin/sh"),
                    childArguments: ["-c", "printf '\(bytes)'; exec sleep 30"])
    }

    /// `bytes` as printf's octal escapes.
    private static func octal(_ bytes: [UInt8]) -> String {
        bytes.map { "\\" + String($0, radix: 8) }.joined()
    }

    /// Reads the children's output until the inbox holds the slot's exit, or 10 s pass.
    private func exitOfSlotZero(_ pool: PreforkPool, _ inbox: WorkerInbox) -> (inputs: [WorkerInbox.Input], exit: WorkerInbox.Input?) {
        var seen: [WorkerInbox.Input] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            var readable: [Int32]? = nil
            seen += inbox.take(until: Date().addingTimeInterval(0.05), watching: pool.outputDescriptors, readable: &readable)
            seen += pool.drainOutput(readable: nil)
            if let exit = seen.first(where: { if case .childExited(slot: 0, _, _, _) = $0 { true } else { false } }) {
                return (seen, exit)
            }
        }
        return (seen, nil)
    }

    @Test("a length no frame has: the frames before it are delivered, then the child is killed, not expected")
    func corruptLengthKillsTheChild() throws {
        let inbox = WorkerInbox()
        // A ready frame, then a length past the 1 GiB limit.
        let pool = pool(writing: Self.octal(ChildProtocol.ready(pid: 7) + [0xFF, 0xFF, 0xFF, 0x7F]), inbox: inbox)
        defer { pool.closeAll(graceSeconds: 1) }
        pool.spawn(slot: 0)
        let (inputs, exit) = exitOfSlotZero(pool, inbox)
        #expect(inputs.contains { if case .childReady(slot: 0, generation: 1) = $0 { true } else { false } })
        let lost = try #require(exit)
        guard case .childExited(_, let generation, let status, let signalled) = lost else { return }
        #expect(pool.isCurrent(slot: 0, generation: generation), "the exit is a loss the driver reports, not an expected one")
        #expect(signalled && status == SIGKILL)
    }

    @Test("a frame of no known kind: the child is killed too")
    func unknownFrameKillsTheChild() throws {
        let inbox = WorkerInbox()
        let pool = pool(writing: Self.octal([1, 0, 0, 0, 0x7F]), inbox: inbox)
        defer { pool.closeAll(graceSeconds: 1) }
        pool.spawn(slot: 0)
        let (_, exit) = exitOfSlotZero(pool, inbox)
        let lost = try #require(exit)
        guard case .childExited(_, let generation, let status, let signalled) = lost else { return }
        #expect(pool.isCurrent(slot: 0, generation: generation))
        #expect(signalled && status == SIGKILL)
    }
}
