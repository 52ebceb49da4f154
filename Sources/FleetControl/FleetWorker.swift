/// One replica of a scaled worker group, as both drivers number it: `replica` 0 is the worker
/// named `<group>-1`. A scaled group has all `max_replicas` replicas from the start; the controller
/// decides which of them run.
public struct FleetWorker: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The group's index in the scenario's `fleet`.
    public let group: Int
    /// The replica's place in its group, from 0.
    public let replica: Int

    public init(group: Int, replica: Int) {
        self.group = group
        self.replica = replica
    }

    public static func < (lhs: FleetWorker, rhs: FleetWorker) -> Bool {
        (lhs.group, lhs.replica) < (rhs.group, rhs.replica)
    }

    public var description: String { "group \(group) replica \(replica + 1)" }
}
