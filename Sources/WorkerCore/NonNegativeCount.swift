/// A count that must never go below zero, such as the core's unacknowledged deliveries.
///
/// Every decrement settles something counted before (a delivery acknowledged, rejected or given
/// back), so going below zero means something was settled twice — a bookkeeping bug that would
/// silently widen the prefetch window instead of stopping the worker. Debug builds stop at the
/// bug (`assertionFailure`); release builds pay nothing and go on as before.
struct NonNegativeCount: Sendable, Equatable {
    private(set) var value = 0

    mutating func add(_ amount: Int = 1) {
        value += amount
    }

    mutating func subtract(_ amount: Int = 1) {
        guard let less = subtracting(amount) else {
            assertionFailure("a count went below zero: \(value) - \(amount)")
            value -= amount
            return
        }
        self = less
    }

    /// The count less `amount`, or nil when that would go below zero (the check `subtract` makes).
    func subtracting(_ amount: Int) -> NonNegativeCount? {
        guard amount >= 0, amount <= value else { return nil }
        var less = self
        less.value -= amount
        return less
    }
}
