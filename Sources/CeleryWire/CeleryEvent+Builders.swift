/// The events a Celery 5.7 worker sends, with the fields it sends and in its order:
/// task events from celery/worker/strategy.py (`task-received`) and celery/worker/request.py
/// (`send_event('task-started')`, `on_success`, `on_failure`, `on_retry`, `reject`,
/// `_announce_revoked`); worker events from celery/worker/heartbeat.py (`Heart._send`).
extension CeleryEvent {
    /// `task-received`: args and kwargs are the message's `argsrepr`/`kwargsrepr` headers, eta and
    /// expires the ISO strings (`req.eta.isoformat()`), or null.
    public static func taskReceived(_ stamp: Stamp, uuid: String, name: String, argsrepr: String, kwargsrepr: String,
                                    rootID: String?, parentID: String?, retries: Int, eta: String?,
                                    expires: String?) -> CeleryEvent {
        CeleryEvent(type: "task-received", stamp: stamp, fields: [
            "uuid": .string(uuid), "name": .string(name), "args": .string(argsrepr), "kwargs": .string(kwargsrepr),
            "root_id": optional(rootID), "parent_id": optional(parentID), "retries": .int(Int64(retries)),
            "eta": optional(eta), "expires": optional(expires),
        ])
    }

    /// `task-started`: only the uuid (a monitor joins it to the received event).
    public static func taskStarted(_ stamp: Stamp, uuid: String) -> CeleryEvent {
        CeleryEvent(type: "task-started", stamp: stamp, fields: ["uuid": .string(uuid)])
    }

    /// `task-succeeded`: `result` is `saferepr` of the return value (a string: `"5"` for 5),
    /// `runtime` the body's seconds.
    public static func taskSucceeded(_ stamp: Stamp, uuid: String, resultRepr: String, runtimeSeconds: Double) -> CeleryEvent {
        CeleryEvent(type: "task-succeeded", stamp: stamp, fields: [
            "uuid": .string(uuid), "result": .string(resultRepr), "runtime": .double(runtimeSeconds),
        ])
    }

    /// `task-failed`: `exception` is `safe_repr(exc)` (`KeyError('bad key')`), then the traceback text.
    public static func taskFailed(_ stamp: Stamp, uuid: String, exceptionRepr: String, traceback: String) -> CeleryEvent {
        CeleryEvent(type: "task-failed", stamp: stamp, fields: [
            "uuid": .string(uuid), "exception": .string(exceptionRepr), "traceback": .string(traceback),
        ])
    }

    /// `task-retried`: the exception that caused the retry and its traceback.
    public static func taskRetried(_ stamp: Stamp, uuid: String, exceptionRepr: String, traceback: String) -> CeleryEvent {
        CeleryEvent(type: "task-retried", stamp: stamp, fields: [
            "uuid": .string(uuid), "exception": .string(exceptionRepr), "traceback": .string(traceback),
        ])
    }

    /// `task-rejected`: whether the message went back to its queue.
    public static func taskRejected(_ stamp: Stamp, uuid: String, requeue: Bool) -> CeleryEvent {
        CeleryEvent(type: "task-rejected", stamp: stamp, fields: ["uuid": .string(uuid), "requeue": .bool(requeue)])
    }

    /// `task-revoked`: terminated (killed while running), the signal used (null if none), expired.
    public static func taskRevoked(_ stamp: Stamp, uuid: String, terminated: Bool, signum: Int?, expired: Bool) -> CeleryEvent {
        CeleryEvent(type: "task-revoked", stamp: stamp, fields: [
            "uuid": .string(uuid), "terminated": .bool(terminated),
            "signum": signum.map { .int(Int64($0)) } ?? .null, "expired": .bool(expired),
        ])
    }

    /// The worker's own events.
    public enum WorkerEventKind: String, Sendable {
        case online = "worker-online"
        case heartbeat = "worker-heartbeat"
        case offline = "worker-offline"
    }

    /// Who sent a worker event (`SOFTWARE_INFO` in celery/worker/state.py): Celery sends
    /// `py-celery`, its version and `platform.system()`.
    public struct Software: Sendable, Equatable {
        public var ident: String
        public var version: String
        public var system: String
        public init(ident: String, version: String, system: String) {
            self.ident = ident; self.version = version; self.system = system
        }
    }

    /// `worker-online`, `worker-heartbeat` or `worker-offline`: the heartbeat interval (`freq`,
    /// seconds), tasks running now, tasks processed so far, the 1/5/15-minute load average
    /// (rounded to two places, as `celery.utils.sysinfo.load_average` does) and the software.
    public static func worker(_ kind: WorkerEventKind, _ stamp: Stamp, freqSeconds: Double, active: Int, processed: Int,
                              loadavg: [Double], software: Software) -> CeleryEvent {
        CeleryEvent(type: kind.rawValue, stamp: stamp, fields: [
            "freq": .double(freqSeconds), "active": .int(Int64(active)), "processed": .int(Int64(processed)),
            "loadavg": .array(loadavg.map { .double(($0 * 100).rounded() / 100) }),
            "sw_ident": .string(software.ident), "sw_ver": .string(software.version), "sw_sys": .string(software.system),
        ])
    }

    private static func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
}
