import CeleryWire
import Foundation
import WorkerCore

/// Celery's `Request.info()` (celery/worker/request.py), the dict `inspect active`, `reserved`,
/// `scheduled` and `query_task` show for a task (captures 03-06): keys in Celery's order.
extension LiveWorkerDriver {
    /// When each running delivery started and in which process, for `time_start` and `worker_pid`.
    struct RunningInfo {
        var startedAt: Double
        var pid: Int32?
    }

    func requestInfo(_ request: TaskRequest, place: WorkerCore.HoldingPlace) -> JSONValue {
        let message = messages[request.deliveryTag]
        let running = place == .running ? runningInfo[request.deliveryTag] : nil
        let acksLate = core.config.options(for: request.name).acksLate
        var info = JSONObject()
        info.add("id", .string(request.id))
        info.add("name", .string(request.name))
        info.add("args", .array(message?.args ?? []))
        info.add("kwargs", .object(message?.kwargs ?? [:]))
        info.add("type", .string(request.name))
        info.add("hostname", .string(settings.core.hostname))
        info.add("time_start", running.map { .double($0.startedAt) } ?? .null)
        // An early-acking task is acknowledged when it starts (celery/worker/request.py on_accepted).
        info.add("acknowledged", .bool(place == .running && !acksLate))
        var delivery = JSONObject()
        delivery.add("exchange", .string(message?.deliveryInfo?.exchange ?? ""))
        delivery.add("routing_key", .string(message?.deliveryInfo?.routingKey ?? request.queue))
        delivery.add("priority", .int(Int64(request.priority ?? 0)))
        delivery.add("redelivered", .bool(message?.redelivered ?? false))
        info.add("delivery_info", .object(delivery))
        let pid: JSONValue = running.map { .int(Int64($0.pid ?? getpid())) } ?? .null
        info.add("worker_pid", pid)
        return .object(info)
    }

    /// `scheduled`'s entry (celery/worker/control.py `scheduled`): eta in ISO 8601 with `+00:00`,
    /// the message priority (Celery's ETA timer entries carry 6, the default timer priority), the
    /// request.
    func scheduledInfo(_ request: TaskRequest) -> JSONValue {
        var entry = JSONObject()
        let eta = request.eta.map { Self.isoUTC(microseconds: $0.microsecondsSinceEpoch) }
        entry.add("eta", eta.map(JSONValue.string) ?? .null)
        entry.add("priority", .int(Int64(request.priority ?? 6)))
        entry.add("request", requestInfo(request, place: .waitingForETA))
        return .object(entry)
    }

    /// `2026-12-03T08:36:12.734027+00:00`, Python's `datetime.isoformat()` of an aware UTC time.
    static func isoUTC(microseconds: Int64) -> String {
        var seconds = time_t(microseconds.floorDiv(1_000_000))
        let micros = microseconds - Int64(seconds) * 1_000_000
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let base = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                          Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        return base + (micros == 0 ? "" : String(format: ".%06d", Int(micros))) + "+00:00"
    }
}

private extension Int64 {
    func floorDiv(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension JSONObject {
    /// Appends a key the object does not have yet (replies are built key by key in Celery's order).
    mutating func add(_ key: String, _ value: JSONValue) { set(value, forKey: key) }
}
