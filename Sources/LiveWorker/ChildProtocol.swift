import CeleryWire
import Foundation
import WorkerCore

/// The prefork pool's wire between the parent and a child process: one JSON object per line.
///
/// Parent → child: `{"execution": N, "task": NAME, "id": ID, "retries": R, "args": [...], "kwargs": {...}}`.
/// Child → parent: `{"ready": true, "pid": P}` once at start; `{"execution": N, "state": S, "meta": M}`
/// for custom states; `{"execution": N, "outcome": KIND, ..., "rss_kib": K, "runtime": SECONDS}` when a
/// body ends. The parent signals SIGUSR1 for the soft time limit and SIGKILL for the hard one.
enum ChildProtocol {
    static func job(execution: UInt64, request: TaskRequest, message: TaskMessage) -> [UInt8] {
        line(.object([
            "execution": .int(Int64(execution)), "task": .string(request.name), "id": .string(request.id),
            "retries": .int(Int64(request.retries)), "args": .array(message.args), "kwargs": .object(message.kwargs),
        ]))
    }

    static func ready(pid: Int32) -> [UInt8] { line(.object(["ready": .bool(true), "pid": .int(Int64(pid))])) }

    static func state(execution: UInt64, state: String, meta: JSONValue) -> [UInt8] {
        line(.object(["execution": .int(Int64(execution)), "state": .string(state), "meta": meta]))
    }

    static func outcome(execution: UInt64, result: TaskBodyResult, residentKiB: Int, runtime: Double,
                        memory: ChildMemory? = nil) -> [UInt8] {
        var object: JSONObject = ["execution": .int(Int64(execution))]
        switch result {
        case .success(let value):
            object["outcome"] = .string("success")
            object["result"] = value
        case .failure(let error):
            object["outcome"] = .string("failure")
            object["error"] = errorJSON(error)
        case .retry(let countdown, let error):
            object["outcome"] = .string("retry")
            object["countdown_us"] = countdown.map { .int($0.microseconds) } ?? .null
            object["error"] = errorJSON(error)
        case .reject(let requeue):
            object["outcome"] = .string("reject")
            object["requeue"] = .bool(requeue)
        case .ignore:
            object["outcome"] = .string("ignore")
        }
        object["rss_kib"] = .int(Int64(residentKiB))
        object["runtime"] = .double(runtime)
        if let memory {
            object["task_allocated_bytes"] = .int(Int64(memory.taskAllocatedBytes))
            object["jemalloc_allocated"] = .int(Int64(memory.allocatedBytes))
            object["jemalloc_active"] = .int(Int64(memory.activeBytes))
            object["jemalloc_resident"] = .int(Int64(memory.residentBytes))
        }
        return line(.object(object))
    }

    /// A child's line, decoded; nil when it is not one of the shapes above.
    enum ChildMessage {
        case ready(pid: Int32)
        case state(execution: UInt64, state: String, meta: JSONValue)
        case finished(execution: UInt64, result: TaskBodyResult, residentKiB: Int, runtime: Double, memory: ChildMemory?)
    }

    static func decodeChildLine(_ bytes: [UInt8]) -> ChildMessage? {
        guard case .object(let object)? = try? JSONValue.parse(bytes) else { return nil }
        if object["ready"]?.boolValue == true { return .ready(pid: Int32(object["pid"]?.intValue ?? 0)) }
        guard let execution = object["execution"]?.intValue.map({ UInt64($0) }) else { return nil }
        if let state = object["state"]?.stringValue {
            return .state(execution: execution, state: state, meta: object["meta"] ?? .null)
        }
        let residentKiB = Int(object["rss_kib"]?.intValue ?? 0)
        let runtime = object["runtime"]?.doubleValue ?? 0
        let result: TaskBodyResult
        switch object["outcome"]?.stringValue {
        case "success": result = .success(object["result"] ?? .null)
        case "failure": result = .failure(error(from: object["error"]))
        case "retry":
            result = .retry(countdown: object["countdown_us"]?.intValue.map { TimeSpan(microseconds: $0) },
                            error: error(from: object["error"]))
        case "reject": result = .reject(requeue: object["requeue"]?.boolValue ?? false)
        case "ignore": result = .ignore
        default: return nil
        }
        var memory: ChildMemory? = nil
        if let allocated = object["jemalloc_allocated"]?.intValue {
            memory = ChildMemory(residentKiB: residentKiB, taskAllocatedBytes: Int(object["task_allocated_bytes"]?.intValue ?? 0),
                                 allocatedBytes: Int(allocated), activeBytes: Int(object["jemalloc_active"]?.intValue ?? 0),
                                 residentBytes: Int(object["jemalloc_resident"]?.intValue ?? 0))
        }
        return .finished(execution: execution, result: result, residentKiB: residentKiB, runtime: runtime, memory: memory)
    }

    static func decodeJob(_ bytes: [UInt8]) -> (execution: UInt64, task: String, id: String, retries: Int,
                                                  args: [JSONValue], kwargs: JSONObject)? {
        guard case .object(let object)? = try? JSONValue.parse(bytes),
              let execution = object["execution"]?.intValue, let task = object["task"]?.stringValue,
              let id = object["id"]?.stringValue else { return nil }
        return (UInt64(execution), task, id, Int(object["retries"]?.intValue ?? 0),
                object["args"]?.arrayValue ?? [], object["kwargs"]?.objectValue ?? [:])
    }

    private static func errorJSON(_ error: ErrorDescription) -> JSONValue {
        .object(["type": .string(error.type), "message": .string(error.message), "module": .string(error.module)])
    }

    private static func error(from value: JSONValue?) -> ErrorDescription {
        ErrorDescription(type: value?["type"]?.stringValue ?? "Exception", message: value?["message"]?.stringValue ?? "",
                         module: value?["module"]?.stringValue ?? "builtins")
    }

    private static func line(_ value: JSONValue) -> [UInt8] { value.serialized() + [0x0A] }

    /// `/proc/self/statm`, opened at the first reading (a child is single-threaded between tasks).
    nonisolated(unsafe) private static var statmDescriptor: Int32 = -1

    /// Resident memory of this process in KiB, from /proc/self/statm (what Celery's
    /// `worker_max_memory_per_child` compares).
    static func residentKiB() -> Int {
        // This runs after every task in every child: the file stays open and each reading is one
        // pread from offset 0 (procfs renders the figures afresh), not open, read and close.
        if statmDescriptor < 0 { statmDescriptor = open("/proc/self/statm", O_RDONLY | O_CLOEXEC) }
        guard statmDescriptor >= 0 else { return 0 }
        var bytes = [UInt8](repeating: 0, count: 128)
        let count = bytes.withUnsafeMutableBytes { pread(statmDescriptor, $0.baseAddress, 128, 0) }
        guard count > 0 else { return 0 }
        let fields = bytes[0..<count].split(separator: 0x20)
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
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
