import Testing
@testable import Simulation
import WorkerCore

/// The trace writes and hashes each record's kind from `TraceKind`'s raw value: those texts are
/// the trace's stable form, so a renamed case would change every trace file and baseline hash.
@Suite("Trace kinds")
struct TraceKindTests {
    @Test("the trace's kind texts are the ones trace files and baseline hashes were made with")
    func stableTextForm() {
        #expect(TraceKind.allCases.map(\.rawValue) == [
            "publish", "retry-publish", "deliver", "delivery-to-dead-worker", "ack", "ack-lost", "reject", "reject-lost",
            "restore", "burst",
            "start", "hang", "task-succeeded", "task-failed", "task-retried", "task-rejected", "task-revoked",
            "child-crash", "child-kill", "child-recycle", "child-retire",
            "worker-start", "worker-booted", "worker-sigterm", "worker-stopped", "worker-kill", "oom-kill", "oom-restart",
            "scaler", "scale-up", "scale-down", "grace-over",
            "broker-down", "broker-up", "broker-latency", "broker-latency-end", "slow-tasks", "memory-pressure",
            "pipeline-stage", "chord-join", "pipeline-end",
            "control",
            "beat-start", "beat-kill", "beat-stop", "beat-lock-taken", "beat-lock-lost", "beat-send", "beat-catch-up",
            "end",
        ])
    }

    @Test("a task event that ends an attempt traces as the event's own name",
          arguments: [TaskEvent.Kind.succeeded, .failed, .retried, .rejected, .revoked])
    func attemptEndMatchesEventName(kind: TaskEvent.Kind) throws {
        let traced = try #require(TraceKind(attemptEnd: kind))
        #expect(traced.rawValue == kind.rawValue)
    }

    @Test("received is not traced and started is traced as start, not as an attempt's end")
    func receivedAndStartedAreNoEnds() {
        #expect(TraceKind(attemptEnd: .received) == nil)
        #expect(TraceKind(attemptEnd: .started) == nil)
    }
}
