import CeleryWire
import Foundation
import WorkerCore

/// `lovage.synthetic(...)`: a task body shaped like the scenario language's body model, so a load
/// run on real Redis exercises the same durations, failures, memory growth and result sizes as a
/// simulated one. Keyword arguments (all optional):
/// `duration_ms` (run time), `cpu` (burn CPU instead of sleeping), `fail_probability` with `error`
/// (the exception type to raise), `retain_bytes` (memory kept alive by the process after the call,
/// a leak), `result_bytes` (size of the returned string), `slow_windows` (`[[from, to, factor],
/// ...]` in epoch seconds: a body that starts within a window runs `factor` times longer, as a
/// scenario's `slow_tasks` fault slows what runs during it) and `report_timing` (return
/// `{"started_at": <epoch seconds>, "retries": R, "result": ...}` so a load run can measure queue
/// wait and count retries from the result alone).
///
/// A synthetic failure is only a failure: whether it is retried is the worker's decision, from the
/// task's Celery options (`autoretry_for`, `max_retries`, backoff), as for any task. `lovage worker
/// --tasks-from` registers a scenario's task names with this body and the scenario's options;
/// under its own name `lovage.synthetic` has the worker's defaults (no autoretry). Python's copy in
/// interop/lovage_synthetic.py does the same.
public enum SyntheticTask {
    public static let name = "lovage.synthetic"

    public static func run(_ context: TaskContext) -> TaskBodyResult {
        let plannedMilliseconds = context.kwargs["duration_ms"]?.doubleValue ?? 0
        let burnCPU = context.kwargs["cpu"]?.boolValue ?? false
        let failProbability = context.kwargs["fail_probability"]?.doubleValue ?? 0
        let errorType = context.kwargs["error"]?.stringValue ?? "SyntheticError"
        let retainBytes = Int(context.kwargs["retain_bytes"]?.intValue ?? 0)
        let resultBytes = Int(context.kwargs["result_bytes"]?.intValue ?? 0)
        let reportTiming = context.kwargs["report_timing"]?.boolValue ?? false
        let startedAt = Date().timeIntervalSince1970
        let durationMilliseconds = plannedMilliseconds * slowFactor(context.kwargs["slow_windows"], at: startedAt)
        guard durationMilliseconds >= 0, (0...1).contains(failProbability), retainBytes >= 0, resultBytes >= 0 else {
            return .failure(ErrorDescription(type: "ValueError",
                                             message: "lovage.synthetic: negative size or duration, or a probability outside [0, 1]"))
        }
        let deadline = Date().addingTimeInterval(durationMilliseconds / 1000)
        var spin: UInt64 = 0
        while Date() < deadline {
            if context.softTimeLimitExceeded() { return .failure(.softTimeLimitExceeded()) }
            if burnCPU {
                for value in 0..<10_000 { spin = spin &* 6364136223846793005 &+ UInt64(value) }
            } else {
                Thread.sleep(forTimeInterval: min(0.01, max(0, deadline.timeIntervalSinceNow)))
            }
        }
        if retainBytes > 0 { RetainedMemory.shared.keep(bytes: retainBytes) }
        if failProbability > 0, Double.random(in: 0..<1) < failProbability {
            return .failure(ErrorDescription(type: errorType, message: "synthetic failure (p=\(failProbability))"))
        }
        syntheticSpinSink = spin  // keeps the CPU loop from being optimised away
        let payload: JSONValue = resultBytes > 0 ? .string(String(repeating: "x", count: resultBytes)) : .null
        return .success(reportTiming ? .object(["started_at": .double(startedAt), "retries": .int(Int64(context.retries)),
                                                "result": payload]) : payload)
    }

    /// The product of the factors of the `slow_windows` that contain `time` (epoch seconds); 1 when
    /// none does or the value is malformed.
    static func slowFactor(_ value: JSONValue?, at time: Double) -> Double {
        var factor = 1.0
        for window in value?.arrayValue ?? [] {
            guard let bounds = window.arrayValue, bounds.count == 3, let from = bounds[0].doubleValue,
                  let to = bounds[1].doubleValue, let multiplier = bounds[2].doubleValue, multiplier > 0 else { continue }
            if time >= from && time < to { factor *= multiplier }
        }
        return factor
    }
}

/// Where the CPU-burning loop's value goes so the optimiser cannot drop the loop (a benign race:
/// nobody reads it).
nonisolated(unsafe) var syntheticSpinSink: UInt64 = 0

/// Memory a synthetic task keeps after it returns: the leak that `max_memory_per_child` is for.
final class RetainedMemory: @unchecked Sendable {
    static let shared = RetainedMemory()
    private let lock = NSLock()
    private var blocks: [[UInt8]] = []

    func keep(bytes: Int) {
        // Touch every page so the memory is resident, not just reserved.
        let block = [UInt8](repeating: 0xA5, count: bytes)
        lock.withLock { blocks.append(block) }
    }
}
