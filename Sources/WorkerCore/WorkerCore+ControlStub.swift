// TEMPORARY stub so this clone builds before /work/h-core's WorkerCore.control (WorkerCore+Control.swift)
// lands: delete this file when merging h-core (the two would be an "invalid redeclaration").
extension WorkerCore {
    public mutating func control(_ command: WorkerControl, now: Instant, into out: inout [WorkerDirective]) -> ControlResult {
        .error("not implemented")
    }
}
