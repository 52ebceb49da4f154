import CeleryWire
import Foundation
import WorkerCore

/// Tasks every Lovage worker has, so any Celery client can use it with no Swift code:
/// `lovage.noop`, `lovage.add(x, y)`, `lovage.echo(value)`, `lovage.sleep(seconds)`,
/// `lovage.fail(message)`, `lovage.flaky(key, fail_times)`, `lovage.progress(steps)`,
/// `lovage.synthetic(...)`, and for canvas work `lovage.tsum(numbers)` (a chord body),
/// `lovage.boom()` (ZeroDivisionError) and `lovage.errback(task_id)` (a link_error errback).
public enum BuiltinTasks {
    public static func register(into registry: inout TaskRegistry, defaults: TaskOptions) {
        registry.register("lovage.noop", body: { _ in .success(.null) })
        registry.register("lovage.add", body: add)
        registry.register("lovage.echo", body: { context in .success(context.argument(0, "value") ?? .null) })
        registry.register("lovage.sleep", body: sleep)
        registry.register("lovage.fail", body: { context in
            let message = context.argument(0, "message")?.stringValue ?? "lovage.fail"
            return .failure(ErrorDescription(type: "RuntimeError", message: message))
        })
        var flakyOptions = defaults
        flakyOptions.retry.maxRetries = nil
        registry.register("lovage.flaky", options: flakyOptions, body: flaky)
        registry.register("lovage.progress", body: progress)
        registry.register("lovage.tsum", body: tsum)
        registry.register("lovage.boom", body: { _ in
            .failure(ErrorDescription(type: "ZeroDivisionError", message: "division by zero"))
        })
        registry.register("lovage.errback", body: { context in
            .success(.string("errback:" + (context.argument(0, "task_id")?.stringValue ?? "")))
        })
        // A synthetic failure is retried by the worker's options, as any task's (see SyntheticTask).
        registry.register(SyntheticTask.name, body: SyntheticTask.run)
        registry.register("lovage.crash", body: { context in
            // The child process dies mid-task, as a segfault or an OOM kill would: WorkerLostError.
            guard context.inChildProcess else {
                return .failure(ErrorDescription(type: "RuntimeError", message: "lovage.crash needs -P prefork"))
            }
            _exit(Int32(context.argument(0, "code")?.intValue ?? 13))
        })
    }

    /// `sum(numbers)`: integers stay integers, a float makes the sum a float; TypeError otherwise.
    static func tsum(_ context: TaskContext) -> TaskBodyResult {
        guard let numbers = context.argument(0, "numbers")?.arrayValue else {
            return .failure(ErrorDescription(type: "TypeError", message: "tsum() needs a list of numbers"))
        }
        var integer: Int64 = 0
        var real = 0.0
        var sawReal = false
        for value in numbers {
            if let n = value.intValue { integer += n } else if let d = value.doubleValue { real += d; sawReal = true } else {
                return .failure(ErrorDescription(type: "TypeError",
                                                 message: "unsupported operand type(s) for +: 'int' and '\(value.typeName)'"))
            }
        }
        return .success(sawReal ? .double(Double(integer) + real) : .int(integer))
    }

    /// `x + y` for numbers (ints stay ints), strings and lists; TypeError otherwise, as Python.
    static func add(_ context: TaskContext) -> TaskBodyResult {
        guard let x = context.argument(0, "x"), let y = context.argument(1, "y") else {
            return .failure(ErrorDescription(type: "TypeError", message: "add() missing required argument: 'x' or 'y'"))
        }
        switch (x, y) {
        case (.int(let a), .int(let b)):
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? .success(.double(Double(a) + Double(b))) : .success(.int(sum))
        case (.int, .double), (.double, .int), (.double, .double):
            return .success(.double((x.doubleValue ?? 0) + (y.doubleValue ?? 0)))
        case (.string(let a), .string(let b)):
            return .success(.string(a + b))
        case (.array(let a), .array(let b)):
            return .success(.array(a + b))
        default:
            return .failure(ErrorDescription(type: "TypeError",
                                             message: "unsupported operand type(s) for +: '\(x.typeName)' and '\(y.typeName)'"))
        }
    }

    /// Sleeps, waking every 10 ms to honour the soft time limit.
    static func sleep(_ context: TaskContext) -> TaskBodyResult {
        guard let seconds = context.argument(0, "seconds")?.doubleValue, seconds >= 0 else {
            return .failure(ErrorDescription(type: "ValueError", message: "sleep length must be a non-negative number"))
        }
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if context.softTimeLimitExceeded() { return .failure(.softTimeLimitExceeded()) }
            Thread.sleep(forTimeInterval: min(0.01, max(0, deadline.timeIntervalSinceNow)))
        }
        return .success(.double(seconds))
    }

    /// Fails through the retry machinery until it has failed `fail_times` times for `key` in this
    /// worker process, then succeeds.
    static func flaky(_ context: TaskContext) -> TaskBodyResult {
        let key = context.argument(0, "key")?.stringValue ?? context.taskID
        let failTimes = Int(context.argument(1, "fail_times")?.intValue ?? 1)
        let failures = FlakyCounter.shared.failures(for: key)
        if failures < failTimes {
            FlakyCounter.shared.recordFailure(for: key)
            return .retry(countdown: .seconds(1),
                          error: ErrorDescription(type: "RuntimeError", message: "flaky failure \(failures + 1) of \(failTimes)"))
        }
        return .success(.string("ok after \(failures) failures"))
    }

    /// Reports `PROGRESS` with `{current, total}` after each step, then returns the step count.
    static func progress(_ context: TaskContext) -> TaskBodyResult {
        let steps = max(0, Int(context.argument(0, "steps")?.intValue ?? 3))
        let delay = context.argument(1, "delay")?.doubleValue ?? 0.05
        for step in 1...max(1, steps) where steps > 0 {
            Thread.sleep(forTimeInterval: delay)
            context.updateState("PROGRESS", .object(["current": .int(Int64(step)), "total": .int(Int64(steps))]))
        }
        return .success(.int(Int64(steps)))
    }
}

/// Per-process failure counts for `lovage.flaky`.
final class FlakyCounter: @unchecked Sendable {
    static let shared = FlakyCounter()
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    func failures(for key: String) -> Int { lock.withLock { counts[key] ?? 0 } }
    func recordFailure(for key: String) { lock.withLock { counts[key, default: 0] += 1 } }
}
