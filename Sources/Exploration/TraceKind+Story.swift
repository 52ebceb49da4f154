import Simulation

/// How a task's story reads each kind of trace record. Exhaustive switches, not lists of names:
/// a kind added to `TraceKind` does not compile until the story says what it means.
extension TraceKind {
    /// The task is finished for good: it succeeded, failed or was revoked. A retry or a reject is
    /// not an end: another delivery, or the same one requeued, may follow.
    public var endsTask: Bool {
        switch self {
        case .taskSucceeded, .taskFailed, .taskRevoked:
            return true
        case .publish, .retryPublish, .deliver, .deliveryToDeadWorker, .ack, .ackLost, .reject, .rejectLost, .restore,
             .burst, .start, .hang, .taskRetried, .taskRejected, .childCrash, .childKill, .childRecycle, .childRetire,
             .workerStart, .workerBooted, .workerSigterm, .workerStopped, .workerKill, .oomKill, .oomRestart,
             .scaler, .scaleUp, .scaleDown, .graceOver, .brokerDown, .brokerUp, .brokerLatency, .brokerLatencyEnd,
             .slowTasks, .memoryPressure, .control, .end, .pipelineStage, .chordJoin, .pipelineEnd,
             .beatStart, .beatKill, .beatStop, .beatLockTaken, .beatLockLost, .beatSend, .beatCatchUp:
            return false
        }
    }

    /// Something that happened to a worker (or the broker) rather than to one task, woven into the
    /// story of every task the worker held at the time: it is usually why the next line happens.
    public var isWorkerEvent: Bool {
        switch self {
        case .workerStart, .workerKill, .workerStopped, .workerSigterm, .oomKill, .oomRestart, .brokerDown, .brokerUp,
             .scaleDown, .graceOver, .childCrash, .childKill, .control:
            return true
        case .publish, .retryPublish, .deliver, .deliveryToDeadWorker, .ack, .ackLost, .reject, .rejectLost, .restore,
             .burst, .start, .hang, .taskSucceeded, .taskFailed, .taskRetried, .taskRejected, .taskRevoked,
             .childRecycle, .childRetire, .workerBooted, .scaler, .scaleUp, .brokerLatency, .brokerLatencyEnd,
             .slowTasks, .memoryPressure, .end, .pipelineStage, .chordJoin, .pipelineEnd,
             .beatStart, .beatKill, .beatStop, .beatLockTaken, .beatLockLost, .beatSend, .beatCatchUp:
            return false
        }
    }
}
