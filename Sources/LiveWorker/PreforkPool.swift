import CeleryWire
import Foundation
import Glibc
import Logging
import LovageLogging
import WorkerCore

/// Celery's prefork pool: each slot is a child process of this same executable
/// (`lovage worker-child`), so a hard time limit or a terminate really kills the body, a crash takes
/// only the child down (WorkerLostError), and recycling frees a leaking child's memory.
final class PreforkPool: @unchecked Sendable {
    private final class Child: @unchecked Sendable {
        let process: Process
        let input: FileHandle
        /// The child's stdout (kept so its descriptors close with the child), read by the loop.
        let output: Pipe
        var reader: ChildFrameStream
        let generation: Int
        var closed = false
        /// The child broke the frame protocol and was killed; its output is no longer read.
        var lost = false
        init(process: Process, input: FileHandle, output: Pipe, generation: Int) {
            self.process = process
            self.input = input
            self.output = output
            self.generation = generation
            let fd = output.fileHandleForReading.fileDescriptor
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            reader = ChildFrameStream(fd: fd)
        }
    }

    private let lock = NSLock()
    private var children: [Int: Child] = [:]
    private var generations: [Int: Int] = [:]
    /// Children started so far: the N of the next child's Celery process name, `ForkPoolWorker-N`.
    private var childrenStarted = 0
    /// Children started and not yet seen to exit (closeAll waits for them).
    private var started: [Process] = []
    private let inbox: WorkerInbox
    private let executable: URL
    private let logger: Logger

    private let childArguments: [String]

    /// Children run this executable (`/proc/self/exe`) as `lovage worker-child`; tests pass another
    /// program to play a child that misbehaves.
    init(inbox: WorkerInbox, logger: Logger, executable: URL? = nil, childArguments: [String] = ["worker-child"]) {
        self.inbox = inbox
        self.logger = logger
        self.executable = executable
            ?? URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                   ?? CommandLine.arguments[0])
        self.childArguments = childArguments
    }

    /// Starts a child for the slot; `.childReady` arrives when it says so.
    func spawn(slot: Int) {
        let (generation, number) = lock.withLock { () -> (Int, Int) in
            let next = (generations[slot] ?? 0) + 1
            generations[slot] = next
            childrenStarted += 1
            return (next, childrenStarted)
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = childArguments
        // The child writes its own log lines to the shared stderr, named as billiard names them.
        var environment = ProcessInfo.processInfo.environment
        environment[LovageLoggingSystem.childProcessNameKey] = "ForkPoolWorker-\(number)"
        process.environment = environment
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
            logger.error("cannot start a child process: \(error)")
            inbox.post(.childExited(slot: slot, generation: generation, status: -1, signalled: false))
            return
        }
        let child = Child(process: process, input: toChild.fileHandleForWriting, output: fromChild, generation: generation)
        lock.withLock {
            children[slot] = child
            started.removeAll { !$0.isRunning }
            started.append(process)
        }
    }

    /// The children's output descriptors, for the loop's `poll`.
    var outputDescriptors: [Int32] {
        lock.withLock { children.keys.sorted().compactMap { children[$0]?.output.fileHandleForReading.fileDescriptor } }
    }

    /// What the children have written so far, as inbox inputs, read without blocking. A child's
    /// frames come out in the order it wrote them; a child that closed its output is left to its
    /// exit notice (`childExited`).
    /// Only the children whose output is in `readable` are read (every child when nil).
    func drainOutput(readable: [Int32]?) -> [WorkerInbox.Input] {
        let current = lock.withLock { children.keys.sorted().compactMap { slot in children[slot].map { (slot, $0) } } }
        var inputs: [WorkerInbox.Input] = []
        for (slot, child) in current {
            if let readable, !readable.contains(child.output.fileHandleForReading.fileDescriptor) { continue }
            if child.lost { continue }
            let (frames, end) = child.reader.drain()
            for frame in frames {
                guard let message = ChildProtocol.decodeChildFrame(frame) else {
                    lose(child, slot: slot, reason: "the child sent a frame that is not one of the prefork protocol's")
                    break
                }
                switch message {
                case .ready:
                    inputs.append(.childReady(slot: slot, generation: child.generation))
                case .state(let execution, let state, let metaJSON):
                    inputs.append(.stateUpdated(slot: slot, execution: execution, state: state, meta: metaJSON))
                case .finished(let execution, let result, let residentKiB, let runtime, let memory):
                    inputs.append(.finished(slot: slot, execution: execution, result: result, runtime: runtime,
                                            childResidentKiB: residentKiB, memory: memory))
                }
            }
            if end == .corrupt {
                lose(child, slot: slot, reason: "the child's output stopped being prefork frames (a length no frame has)")
            }
        }
        return inputs
    }

    /// A child whose output cannot be read any more cannot report its task's outcome: rather than
    /// leave the task running for ever, kill the child as a crash would, without marking the exit
    /// expected, so the core sees the slot lost (WorkerLostError) and a new child takes it.
    private func lose(_ child: Child, slot: Int, reason: String) {
        guard !child.lost else { return }
        child.lost = true
        logger.error("slot \(slot): \(reason); killing it (pid \(child.process.processIdentifier))")
        Glibc.kill(child.process.processIdentifier, SIGKILL)
    }

    /// The process id of the slot's child, if it has one.
    func pid(slot: Int) -> Int32? { lock.withLock { children[slot].map { $0.process.processIdentifier } } }

    /// Every child's process id, by slot order (`stats` pool processes).
    func childPIDs() -> [Int32] {
        lock.withLock { children.keys.sorted().compactMap { children[$0].map { $0.process.processIdentifier } } }
    }

    func isCurrent(slot: Int, generation: Int) -> Bool { lock.withLock { generations[slot] == generation } }

    func send(slot: Int, _ bytes: [UInt8]) {
        guard let child = lock.withLock({ children[slot] }), !child.closed else { return }
        let fd = child.input.fileDescriptor
        let failed = bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return true }
                offset += written
            }
            return false
        }
        if failed { logger.error("slot \(slot): cannot write to its child: errno \(errno)") }
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

    /// Send `signal` to the child now (a terminate control); its exit is expected, as after
    /// `killChild`, and a signal it survives is followed by SIGKILL so the slot is free for the
    /// child that replaces it.
    func signalChild(slot: Int, signal: Int32) {
        guard let child = lock.withLock({ children.removeValue(forKey: slot) }) else { return }
        lock.withLock { generations[slot] = (generations[slot] ?? 0) + 1 }
        let pid = child.process.processIdentifier
        Glibc.kill(pid, signal)
        if signal != SIGKILL {
            DispatchQueue.global().asyncAfter(deadline: .now() + 1) { if child.process.isRunning { Glibc.kill(pid, SIGKILL) } }
        }
    }

    /// Let the child finish and exit (recycling, retiring, warm shutdown): close its stdin.
    func close(slot: Int) {
        guard let child = lock.withLock({ children.removeValue(forKey: slot) }) else { return }
        lock.withLock { generations[slot] = (generations[slot] ?? 0) + 1 }
        child.closed = true
        try? child.input.close()
    }

    /// Closes every child's stdin and waits up to `graceSeconds` for them to exit (SIGKILL after
    /// that), so the worker reaps its own children instead of leaving them to init.
    func closeAll(graceSeconds: Double = 10) {
        // Every child still running, including those already closed or killed (a warm shutdown
        // retires them before the loop ends), so none outlives the worker.
        let current = lock.withLock { started.filter(\.isRunning) }
        let slots = lock.withLock { Array(children.keys) }
        for slot in slots.sorted() { close(slot: slot) }
        let deadline = Date().addingTimeInterval(graceSeconds)
        while current.contains(where: \.isRunning), Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        for process in current where process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        for process in current {
            process.waitUntilExit()
            // Foundation may report the exit before it has reaped the child; reap it here so an
            // exiting worker never leaves a zombie to init (ECHILD when it was already reaped).
            var status: Int32 = 0
            _ = waitpid(process.processIdentifier, &status, WNOHANG)
        }
    }
}
