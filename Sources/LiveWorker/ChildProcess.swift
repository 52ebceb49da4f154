import CeleryWire
import Foundation
import WorkerCore

/// Set by SIGUSR1 (the parent's soft time limit); read by the running body.
nonisolated(unsafe) private var softLimitSignalled: Int32 = 0

/// The body of a prefork child: `lovage worker-child`, started by the parent with pipes on stdin and
/// stdout. It announces itself, then runs one job at a time until stdin closes (`ChildProtocol`).
public enum ChildProcess {
    public static func run(registry: TaskRegistry) -> Never {
        signal(SIGUSR1) { _ in softLimitSignalled = 1 }
        signal(SIGINT, SIG_IGN)   // the parent decides about shutdowns
        signal(SIGTERM, SIG_DFL)
        // The frames go to a descriptor of the child's own; what a body prints goes to stderr
        // (Celery too redirects a child's stdout to its log), so it cannot corrupt the stream.
        channel = dup(1)
        if channel < 0 { exit(1) }
        _ = fcntl(channel, F_SETFD, FD_CLOEXEC)
        _ = dup2(2, 1)
        write(ChildProtocol.ready(pid: getpid()))
        var jobs = ChildFrameStream(fd: 0)
        var jemalloc = JemallocSampler()
        while let frame = jobs.next() {
            guard let job = ChildProtocol.decodeJob(frame) else { continue }
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

    /// Where the frames go: the parent's pipe, moved off descriptor 1 at start.
    nonisolated(unsafe) private static var channel: Int32 = 1

    private static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(channel, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { exit(1) }
                offset += written
            }
        }
    }
}
