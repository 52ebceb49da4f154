import WorkerCore
import Yams

/// The `invariants:` section: bounds `lovage explore` checks runs against (see `InvariantSpec`).
extension ScenarioBuilder {
    static let invariantKeys = ["drain_within", "periodic_duplicate", "periodic_missed"]

    func readInvariants(_ node: Node) -> InvariantSpec? {
        guard let fields = reader.fields(node, "invariants", allowed: Self.invariantKeys) else { return nil }
        var spec = InvariantSpec()
        if let node = fields["drain_within"], let value = reader.duration(node, fields.path("drain_within"), positive: true) {
            spec.drainWithin = value
        }
        if let node = fields["periodic_duplicate"] {
            spec.periodicDuplicatesAllowed = readAllowance(node, fields.path("periodic_duplicate"), spec.periodicDuplicatesAllowed)
        }
        if let node = fields["periodic_missed"] {
            spec.periodicMissedAllowed = readAllowance(node, fields.path("periodic_missed"), spec.periodicMissedAllowed)
        }
        return spec
    }

    /// `true` (checked, none allowed), `false` (not checked) or a count allowed before it breaks.
    func readAllowance(_ node: Node, _ path: String, _ fallback: Int?) -> Int? {
        if node.tagName == .bool, let on = node.bool { return on ? 0 : nil }
        return reader.int(node, path, in: 0...Int(Int32.max),
                          expected: "true (none allowed), false (not checked) or how many are allowed") ?? fallback
    }
}
