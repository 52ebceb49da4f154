import WorkerCore

/// A driver's fleet and broker as the fleet controller's adapters use them: the simulator's
/// workers and simulated broker, a real run's processes and Redis, or a recording fake in tests.
/// Both drivers' adapters ask the same questions and make the same calls through it, so one
/// sequence of readings can be driven through either and their actions compared.
public protocol FleetActuator: AnyObject {
    /// Whether the worker's process runs (booting or consuming).
    func isRunning(_ worker: FleetWorker) -> Bool
    /// One poll's broker figures for `lists`; nil when the broker does not answer.
    func readBroker(lists: [String], now: Instant) -> FleetBrokerReading?
    /// Starts the worker's process.
    func start(_ worker: FleetWorker, now: Instant)
    /// Begins the worker's warm shutdown (SIGTERM).
    func warmStop(_ worker: FleetWorker, now: Instant)
    /// Kills the worker at once (SIGKILL), after its shutdown grace.
    func kill(_ worker: FleetWorker, now: Instant)
}
