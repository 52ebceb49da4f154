import WorkerCore
import Yams

/// The `invariants:` section: bounds `lovage explore` checks runs against (see `InvariantSpec`).
extension ScenarioBuilder {
    static let invariantKeys = ["drain_within"]

    func readInvariants(_ node: Node) -> InvariantSpec? {
        guard let fields = reader.fields(node, "invariants", allowed: Self.invariantKeys) else { return nil }
        var spec = InvariantSpec()
        if let node = fields["drain_within"], let value = reader.duration(node, fields.path("drain_within"), positive: true) {
            spec.drainWithin = value
        }
        return spec
    }
}
