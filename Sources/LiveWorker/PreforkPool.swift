import CeleryWire
import Foundation
import Glibc
import WorkerCore

/// Celery's prefork pool: each slot is a child process of this same executable
/// (`lovage worker-child`), so a hard time limit or a terminate really kills the body, a crash takes
/// only the child down (WorkerLostError), and recycling frees a leaking child's memory.
final class PreforkPool: @unchecked Sendable {
    private final class Child: @unchecked Sendable {
        let process: Process
        let input: FileHandle
        let generation: Int
        var closed = false
        init(process: Process, input: FileHandle, generation: Int) {
            self.process = process
            self.input = input
            self.generation = generation
        }
    }

    private let lock = NSLock()
    private var children: [Int: Child] = [:]
    private var generations: [Int: Int] = [:]
    private let inbox: WorkerInbox
    private let executable: URL
    private let log: @Sendable (String) -> Void

    init(inbox: WorkerInbox, log: @escaping @Sendable (String) -> Void) {
        self.inbox = inbox
        self.log = log
        executable = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                         ?? CommandLine.arguments[0])
    }

    /// Starts a child for the slot; `.childReady` arrives when it says so.
    func spawn(slot: Int) {
        let generation = lock.withLock { () -> Int in
            let next = (generations[slot] ?? 0) + 1
            generations[slot] = next
            return next
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["worker-child"]
        let toChild = Pipe(), fromChild = Pipe()
        process.standardInput = toChild
        process.standardOutput = fromChild
        process.standardError = FileHandle.standardError
        let inbox = self.inbox
        process.terminationHandler = { finished in
            inbox.post(.childExited(slot: slot, generation: generation, status: finished.terminationStatus,
                                    signalled: finished.terminationReason == .uncaughtSignal))
        }
        do {
            try process.run()
        } catch {
            log("[ERROR] cannot start a child process: \(error)")
            inbox.post(.childExited(slot: slot, generation: generation, status: -1, signalled: false))
            return
        }
        let child = Child(process: process, input: toChild.fileHandleForWriting, generation: generation)
        lock.withLock { children[slot] = child }
        let readFD = fromChild.fileHandleForReading.fileDescriptor
        let thread = Thread {
            var reader = LineReader(fd: readFD)
            while let line = reader.next() {
                guard let message = ChildProtocol.decodeChildLine(line) else { continue }
                switch message {
                case .ready:
                    inbox.post(.childReady(slot: slot, generation: generation))
                case .state(let execution, let state, let meta):
                    inbox.post(.stateUpdated(slot: slot, execution: execution, state: state, meta: meta.serializedString()))
                case .finished(let execution, let result, let residentKiB, let runtime, let memory):
                    inbox.post(.finished(slot: slot, execution: execution, result: result, runtime: runtime,
                                         childResidentKiB: residentKiB, memory: memory))
                }
            }
            _ = fromChild
        }
        thread.name = "lovage-child-\(slot)"
        thread.start()
    }

    func isCurrent(slot: Int, generation: Int) -> Bool { lock.withLock { generations[slot] == generation } }

    func send(slot: Int, _ bytes: [UInt8]) {
        guard let child = lock.withLock({ children[slot] }), !child.closed else { return }
        do { try child.input.write(contentsOf: Data(bytes)) } catch { log("[ERROR] slot \(slot): cannot write to its child: \(error)") }
    }

    /// SIGUSR1: the body's soft time limit has passed.
    func signalSoftLimit(slot: Int) {
        guard let child = lock.withLock({ children[slot] }) else { return }
        Glibc.kill(child.process.processIdentifier, SIGUSR1)
    }

    /// SIGKILL the child now (hard time limit, terminate, cold shutdown). Its exit is expected.
    func killChild(slot: Int) {
        guard let child = lock.withLock({ children.removeValue(forKey: slot) }) else { return }
        lock.withLock { generations[slot] = (generations[slot] ?? 0) + 1 }
        Glibc.kill(child.process.processIdentifier, SIGKILL)
    }

    /// Let the child finish and exit (recycling, retiring, warm shutdown): close its stdin.
    func close(slot: Int) {
        guard let child = lock.withLock({ children.removeValue(forKey: slot) }) else { return }
        lock.withLock { generations[slot] = (generations[slot] ?? 0) + 1 }
        child.closed = true
        try? child.input.close()
    }

    func closeAll() {
        let slots = lock.withLock { Array(children.keys) }
        for slot in slots.sorted() { close(slot: slot) }
    }
}
