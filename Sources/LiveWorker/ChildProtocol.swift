import CeleryWire
import Foundation
import WorkerCore

/// The prefork pool's wire between the parent and a child process, one `ChildFrame` per message.
///
/// Parent → child: a job (execution, retries, task name, task id, args and kwargs as JSON text).
/// Child → parent: ready (its pid) once at start; a custom state (execution, state, meta as JSON
/// text); an outcome when a body ends (execution, kind, resident KiB, run time, jemalloc figures
/// if refreshed, then the kind's own fields). The parent signals SIGUSR1 for the soft time limit
/// and SIGKILL for the hard one. The child writes its frames to a descriptor of its own, with its
/// standard output sent to standard error, so a body that prints cannot corrupt the stream.
enum ChildProtocol {
    private enum Kind: UInt8 { case job = 1, ready, state, outcome }
    private enum OutcomeKind: UInt8 { case success = 0, failure, retry, reject, ignore }

    static func job(execution: UInt64, request: TaskRequest, message: TaskMessage) -> [UInt8] {
        job(execution: execution, task: request.name, id: request.id, retries: request.retries,
            argsJSON: JSONValue.array(message.args).serialized(), kwargsJSON: message.kwargs.serialized())
    }

    static func job(execution: UInt64, task: String, id: String, retries: Int, argsJSON: [UInt8], kwargsJSON: [UInt8]) -> [UInt8] {
        var frame = ChildFrameWriter(kind: Kind.job.rawValue, capacity: 64 + task.utf8.count + argsJSON.count + kwargsJSON.count)
        frame.append(execution)
        frame.append(Int64(retries))
        frame.append(task)
        frame.append(id)
        frame.append(bytes: argsJSON)
        frame.append(bytes: kwargsJSON)
        return frame.finished()
    }

    static func ready(pid: Int32) -> [UInt8] {
        var frame = ChildFrameWriter(kind: Kind.ready.rawValue)
        frame.append(Int64(pid))
        return frame.finished()
    }

    static func state(execution: UInt64, state: String, meta: JSONValue) -> [UInt8] {
        var frame = ChildFrameWriter(kind: Kind.state.rawValue)
        frame.append(execution)
        frame.append(state)
        frame.append(bytes: meta.serialized())
        return frame.finished()
    }

    static func outcome(execution: UInt64, result: TaskBodyResult, residentKiB: Int, runtime: Double,
                        memory: ChildMemory? = nil) -> [UInt8] {
        var frame = ChildFrameWriter(kind: Kind.outcome.rawValue, capacity: 96)
        frame.append(execution)
        let kind: OutcomeKind = switch result {
        case .success: .success
        case .failure: .failure
        case .retry: .retry
        case .reject: .reject
        case .ignore: .ignore
        }
        frame.append(kind.rawValue)
        frame.append(Int64(residentKiB))
        frame.append(runtime)
        frame.append(memory != nil)
        if let memory {
            frame.append(Int64(memory.taskAllocatedBytes))
            frame.append(Int64(memory.allocatedBytes))
            frame.append(Int64(memory.activeBytes))
            frame.append(Int64(memory.residentBytes))
        }
        switch result {
        case .success(let value):
            frame.append(bytes: value.serialized())
        case .failure(let error):
            append(error, to: &frame)
        case .retry(let countdown, let error):
            frame.append(countdown != nil)
            frame.append(countdown?.microseconds ?? 0)
            append(error, to: &frame)
        case .reject(let requeue):
            frame.append(requeue)
        case .ignore:
            break
        }
        return frame.finished()
    }

    /// A child's frame, decoded; nil when it is not one of the shapes above.
    enum ChildMessage: Equatable {
        case ready(pid: Int32)
        case state(execution: UInt64, state: String, metaJSON: String)
        case finished(execution: UInt64, result: TaskBodyResult, residentKiB: Int, runtime: Double, memory: ChildMemory?)
    }

    /// `frame` is a frame's body (`ChildFrameStream` takes the length off).
    static func decodeChildFrame(_ frame: [UInt8]) -> ChildMessage? {
        var reader = ChildFrameReader(frame)
        switch reader.byte().flatMap(Kind.init(rawValue:)) {
        case .ready:
            guard let pid = reader.int64(), reader.isAtEnd else { return nil }
            return .ready(pid: Int32(truncatingIfNeeded: pid))
        case .state:
            guard let execution = reader.uint64(), let state = reader.string(), let meta = reader.string(), reader.isAtEnd else {
                return nil
            }
            return .state(execution: execution, state: state, metaJSON: meta)
        case .outcome:
            return decodeOutcome(&reader)
        case .job, nil:
            return nil
        }
    }

    private static func decodeOutcome(_ reader: inout ChildFrameReader) -> ChildMessage? {
        guard let execution = reader.uint64(), let kind = reader.byte().flatMap(OutcomeKind.init(rawValue:)),
              let residentKiB = reader.int64(), let runtime = reader.double(), let hasMemory = reader.bool() else { return nil }
        var memory: ChildMemory? = nil
        if hasMemory {
            guard let task = reader.int64(), let allocated = reader.int64(), let active = reader.int64(),
                  let resident = reader.int64() else { return nil }
            memory = ChildMemory(residentKiB: Int(residentKiB), taskAllocatedBytes: Int(task), allocatedBytes: Int(allocated),
                                 activeBytes: Int(active), residentBytes: Int(resident))
        }
        let result: TaskBodyResult
        switch kind {
        case .success:
            guard let json = reader.field(), let value = try? JSONValue.parse(Array(json)) else { return nil }
            result = .success(value)
        case .failure:
            guard let error = error(from: &reader) else { return nil }
            result = .failure(error)
        case .retry:
            guard let hasCountdown = reader.bool(), let countdown = reader.int64(), let error = error(from: &reader) else {
                return nil
            }
            result = .retry(countdown: hasCountdown ? TimeSpan(microseconds: countdown) : nil, error: error)
        case .reject:
            guard let requeue = reader.bool() else { return nil }
            result = .reject(requeue: requeue)
        case .ignore:
            result = .ignore
        }
        guard reader.isAtEnd else { return nil }
        return .finished(execution: execution, result: result, residentKiB: Int(residentKiB), runtime: runtime, memory: memory)
    }

    struct Job: Equatable {
        var execution: UInt64
        var task: String
        var id: String
        var retries: Int
        var args: [JSONValue]
        var kwargs: JSONObject
    }

    /// A job frame's body, decoded; nil when it is not one (or its args and kwargs are not a JSON
    /// array and object).
    static func decodeJob(_ frame: [UInt8]) -> Job? {
        var reader = ChildFrameReader(frame)
        guard reader.byte() == Kind.job.rawValue, let execution = reader.uint64(), let retries = reader.int64(),
              let task = reader.string(), let id = reader.string(), let args = reader.field(), let kwargs = reader.field(),
              reader.isAtEnd,
              case .array(let argValues)? = try? JSONValue.parse(Array(args)),
              case .object(let kwargValues)? = try? JSONValue.parse(Array(kwargs)) else { return nil }
        return Job(execution: execution, task: task, id: id, retries: Int(retries), args: argValues, kwargs: kwargValues)
    }

    private static func append(_ error: ErrorDescription, to frame: inout ChildFrameWriter) {
        frame.append(error.type)
        frame.append(error.message)
        frame.append(error.module)
    }

    private static func error(from reader: inout ChildFrameReader) -> ErrorDescription? {
        guard let type = reader.string(), let message = reader.string(), let module = reader.string() else { return nil }
        return ErrorDescription(type: type, message: message, module: module)
    }

    /// `/proc/self/statm`, opened at the first reading (a child is single-threaded between tasks).
    nonisolated(unsafe) private static var statmDescriptor: Int32 = -1
    private static let pageKiB = Int(sysconf(Int32(_SC_PAGESIZE))) / 1024

    /// Resident memory of this process in KiB, from /proc/self/statm (what Celery's
    /// `worker_max_memory_per_child` compares).
    static func residentKiB() -> Int {
        // This runs after every task in every child: the file stays open and each reading is one
        // pread from offset 0 (procfs renders the figures afresh) into a stack buffer.
        if statmDescriptor < 0 { statmDescriptor = open("/proc/self/statm", O_RDONLY | O_CLOEXEC) }
        guard statmDescriptor >= 0 else { return 0 }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer in
            let count = pread(statmDescriptor, buffer.baseAddress, 128, 0)
            guard count > 0 else { return 0 }
            return residentPages(statm: UnsafeBufferPointer(rebasing: buffer[0..<count])) * pageKiB
        }
    }

    /// The second field of a statm line ("size resident shared ..."), in pages; 0 when it is not there.
    static func residentPages(statm: UnsafeBufferPointer<UInt8>) -> Int {
        var index = 0
        while index < statm.count, statm[index] != 0x20 { index += 1 }
        index += 1
        var pages = 0, digits = 0
        while index < statm.count, statm[index] >= 0x30, statm[index] <= 0x39, digits < 18 {
            pages = pages * 10 + Int(statm[index] - 0x30)
            index += 1
            digits += 1
        }
        return digits > 0 ? pages : 0
    }
}

/// What a child reports about its memory after each task: resident memory (what
/// `worker_max_memory_per_child` compares, as Celery does with the process's RSS), the bytes the
/// task's thread allocated, and jemalloc's figures for the process.
public struct ChildMemory: Sendable, Equatable {
    public var residentKiB: Int
    public var taskAllocatedBytes: Int
    public var allocatedBytes: Int
    public var activeBytes: Int
    public var residentBytes: Int

    public init(residentKiB: Int, taskAllocatedBytes: Int, allocatedBytes: Int, activeBytes: Int, residentBytes: Int) {
        self.residentKiB = residentKiB
        self.taskAllocatedBytes = taskAllocatedBytes
        self.allocatedBytes = allocatedBytes
        self.activeBytes = activeBytes
        self.residentBytes = residentBytes
    }
}
