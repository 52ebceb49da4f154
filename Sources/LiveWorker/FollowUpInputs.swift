import WorkerCore

/// Inputs for the core that carrying out its directives produced — a message already fetched for
/// its `.fetch`, a thread slot ready at once for its `.spawnChild` — kept in order and fed to the
/// core only once the directives in hand are all done.
///
/// Why: the core is handed one input at a time and never re-entered while its directives are being
/// carried out, as the simulator's `pendingInputs` promises. The core's directives for an input go
/// after the ones already in hand either way, so queueing keeps the order of effects the recursion
/// had; what it removes is a core call nested inside `perform`, deep on a long batch.
struct FollowUpInputs {
    private var inputs: [WorkerEvent] = []
    private var head = 0

    var isEmpty: Bool { head == inputs.count }

    mutating func append(_ input: WorkerEvent) {
        inputs.append(input)
    }

    /// The oldest input, removed; nil when none waits.
    mutating func popFirst() -> WorkerEvent? {
        guard head < inputs.count else { return nil }
        let input = inputs[head]
        head += 1
        if head == inputs.count {
            inputs.removeAll(keepingCapacity: true)
            head = 0
        }
        return input
    }
}
