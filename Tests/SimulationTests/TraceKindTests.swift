import Testing
@testable import Simulation
import WorkerCore

/// The trace writes and hashes a task event's kind from a static copy of its name; the two must
/// not drift apart, or the trace (and every baseline's hash) would change.
@Suite("Trace kinds")
struct TraceKindTests {
    @Test("each task event kind traces as its raw value",
          arguments: [TaskEvent.Kind.received, .started, .succeeded, .failed, .retried, .rejected, .revoked])
    func staticNameMatchesRawValue(kind: TaskEvent.Kind) {
        #expect(Simulator.traceKind(kind).description == kind.rawValue)
    }
}
