import CeleryWire
import Foundation
import WorkerCore

/// Set by SIGUSR1 (the parent's soft time limit); read by the running body.
nonisolated(unsafe) private var softLimitSignalled: Int32 = 0

/// The body of a prefork child: `lovage worker-child`, started by the parent with pipes on stdin and
/// stdout. It announces itself, then runs one job at a time until stdin closes.
public enum ChildProcess {
    public static func run(registry: TaskRegistry) -> Never {
        signal(SIGUSR1) { _ in softLimitSignalled = 1 }
        signal(SIGINT, SIG_IGN)   // the parent decides about shutdowns
        signal(SIGTERM, SIG_DFL)
        write(ChildProtocol.ready(pid: getpid()))
        var reader = LineReader(fd: 0)
        var jemalloc = JemallocSampler()
        while let line = reader.next() {
            guard let job = ChildProtocol.decodeJob(line) else { continue }
            softLimitSignalled = 0
            let execution = job.execution
            let context = TaskContext(
                taskID: job.id, taskName: job.task, retries: job.retries, args: job.args, kwargs: job.kwargs,
                softTimeLimitExceeded: { softLimitSignalled != 0 },
                updateState: { state, meta in write(ChildProtocol.state(execution: execution, state: state, meta: meta)) },
                inChildProcess: true)
            let started = Date()
            let allocatedBefore = JemallocStats.threadAllocatedBytes() ?? 0
            let result = registry.entry(named: job.task)?.body(context)
                ?? .failure(ErrorDescription(type: "NotRegistered", message: job.task, module: "celery.exceptions"))
            let allocatedAfter = JemallocStats.threadAllocatedBytes() ?? 0
            let residentKiB = ChildProtocol.residentKiB()
            let memory = jemalloc.figures(threadAllocated: allocatedAfter).map {
                ChildMemory(residentKiB: residentKiB, taskAllocatedBytes: Int(allocatedAfter &- allocatedBefore),
                            allocatedBytes: $0.allocatedBytes, activeBytes: $0.activeBytes, residentBytes: $0.residentBytes)
            }
            write(ChildProtocol.outcome(execution: execution, result: result, residentKiB: residentKiB,
                                        runtime: Date().timeIntervalSince(started), memory: memory))
        }
        exit(0)
    }

    private static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { exit(1) }
                offset += written
            }
        }
    }
}

/// Reads newline-terminated lines from a file descriptor: blocking (`next`, the child's stdin) or,
/// on a descriptor set to O_NONBLOCK, everything available now (`drain`, the parent's poll loop).
struct LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var scratch: [UInt8] = []
    private static let chunkBytes = 65_536

    init(fd: Int32) { self.fd = fd }

    mutating func next() -> [UInt8]? {
        while true {
            if let line = takeLine() { return line }
            if readChunk() <= 0 { return nil }
        }
    }

    /// The complete lines readable without blocking, and whether the writer has closed its end.
    /// A read shorter than the chunk emptied the pipe: it is not read again to hear EAGAIN (a
    /// system call per child per loop iteration); whatever comes later wakes the loop's poll.
    mutating func drain() -> (lines: [[UInt8]], closed: Bool) {
        var lines: [[UInt8]] = []
        while true {
            let count = readChunk()
            while let line = takeLine() { lines.append(line) }
            if count == 0 { return (lines, true) }
            if count < 0 { return (lines, errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) }
            if count < Self.chunkBytes { return (lines, false) }
        }
    }

    private mutating func takeLine() -> [UInt8]? {
        guard let newline = buffer[start...].firstIndex(of: 0x0A) else { return nil }
        let line = Array(buffer[start..<newline])
        start = newline + 1
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > Self.chunkBytes {
            buffer.removeFirst(start)
            start = 0
        }
        return line
    }

    /// Appends one read's bytes; returns what read(2) returned. The scratch chunk is allocated
    /// once: zeroing 64 KiB for every read cost more than the task bodies it carried.
    private mutating func readChunk() -> Int {
        if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: Self.chunkBytes) }
        let count = scratch.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, Self.chunkBytes) }
        if count > 0 { buffer.append(contentsOf: scratch[0..<count]) }
        return count
    }
}
