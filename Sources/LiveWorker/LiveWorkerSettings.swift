import RedisClient
import WorkerCore

/// Everything `lovage worker` was told: the core's configuration plus the live driver's own.
public struct LiveWorkerSettings: Sendable {
    public var core: WorkerConfig
    public var brokerURL: RedisURL
    public var resultBackendURL: RedisURL
    public var transport: BrokerTransportOptions
    /// `result_expires`.
    public var resultExpires: TimeSpan = .seconds(86_400)
    /// The Redis list where messages the worker cannot run are kept, with the reason.
    public var deadLetterKey = "lovage.dead_letter"
    /// Log task events and decisions at INFO (Celery's `-l info`).
    public var logTasks = true
    /// `-P`: task bodies on threads, or in child processes of this executable.
    public var pool: PoolKind = .threads
    /// `-E` (`worker_send_task_events`): publish Celery's task events, plus worker-online,
    /// worker-heartbeat every `heartbeatSeconds` and worker-offline, on the broker's `celeryev`
    /// fanout, as a Celery 5.7 worker does. Off: worker events are still sent (Celery sends them without
    /// -E too), task events are not until an `enable_events` control.
    public var taskEvents = false
    /// Mingle at start (`--without-mingle` turns it off): ask the other workers for their revoked ids.
    public var mingle = true
    /// Answer Celery's remote control (`--without-control` turns it off).
    public var remoteControl = true
    /// `worker_pool_restarts` (`--pool-restarts`): allow the `pool_restart` control.
    public var poolRestarts = false
    /// Celery's heartbeat interval (`Heart.interval`, 2 s).
    public var heartbeatSeconds: Double = 2

    public enum PoolKind: String, Sendable {
        case threads, prefork
    }

    public init(core: WorkerConfig, brokerURL: RedisURL, resultBackendURL: RedisURL, transport: BrokerTransportOptions) {
        self.core = core
        self.brokerURL = brokerURL
        self.resultBackendURL = resultBackendURL
        self.transport = transport
    }
}
