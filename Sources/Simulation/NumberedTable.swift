/// A hash table from the simulator's own numbers (task and delivery numbers, assigned once when it
/// creates the id string) to records: open addressing, linear probing, a multiplicative hash.
///
/// Why not `Dictionary<String, …>`: hashing a task id string with SipHash and comparing it cost
/// about a fifth of a run, a dozen times per task. The numbers travel with each `TaskRequest`
/// (`taskNumber`, `deliveryNumber`), so a lookup is a multiply, a shift and a compare or two.
///
/// The layout depends only on the keys and the order of inserts and removals (no per-process seed),
/// so even iteration is reproducible; callers still sort before anything reaches an output.
/// Removal shifts later entries of the probe run back (no tombstones), so a lookup never scans
/// more than the entries that share its run, and memory follows the records alive at the peak.
struct NumberedTable<Value> {
    private static var emptyKey: Int { Int.min }

    private var keys: [Int]
    private var values: [Value?]
    private var mask: Int
    private var shift: UInt64
    private(set) var count = 0

    init() {
        keys = Array(repeating: Self.emptyKey, count: 64)
        values = Array(repeating: nil, count: 64)
        mask = 63
        shift = 64 - 6
    }

    var isEmpty: Bool { count == 0 }

    /// Where `key` would live first (Fibonacci hashing keeps consecutive numbers apart).
    @inline(__always)
    private func home(_ key: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(key)) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The slot holding `key`, valid until the next insert or removal.
    func slot(of key: Int) -> Int? {
        var index = home(key)
        while true {
            let found = keys[index]
            if found == key { return index }
            if found == Self.emptyKey { return nil }
            index = (index + 1) & mask
        }
    }

    subscript(key: Int) -> Value? {
        guard let index = slot(of: key) else { return nil }
        return values[index]
    }

    /// The value in an occupied slot, read or changed in place.
    subscript(slot index: Int) -> Value {
        get { values[index]! }
        _modify { yield &values[index]! }
    }

    /// The key in an occupied slot.
    func key(atSlot index: Int) -> Int { keys[index] }

    /// Inserts or replaces the value for `key`.
    mutating func set(_ value: Value, for key: Int) {
        precondition(key != Self.emptyKey, "Int.min is the empty marker")
        if (count + 1) * 2 > keys.count { grow() }
        var index = home(key)
        while true {
            let found = keys[index]
            if found == key { values[index] = value; return }
            if found == Self.emptyKey { break }
            index = (index + 1) & mask
        }
        keys[index] = key
        values[index] = value
        count += 1
    }

    /// Removes the entry in an occupied slot and returns its value.
    @discardableResult
    mutating func remove(atSlot slot: Int) -> Value {
        let removed = values[slot]!
        var hole = slot
        var next = (hole + 1) & mask
        // Backward-shift deletion: move up every later entry of the run whose home is not in (hole, next].
        while keys[next] != Self.emptyKey {
            let ideal = home(keys[next])
            let stays = hole <= next ? (hole < ideal && ideal <= next) : (hole < ideal || ideal <= next)
            if !stays {
                keys[hole] = keys[next]
                values[hole] = values[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        keys[hole] = Self.emptyKey
        values[hole] = nil
        count -= 1
        return removed
    }

    mutating func removeValue(for key: Int) -> Value? {
        guard let index = slot(of: key) else { return nil }
        return remove(atSlot: index)
    }

    /// Every value, in slot order (reproducible, but callers sort before reporting).
    var allValues: [Value] { values.compactMap { $0 } }

    /// Every key, in slot order (reproducible, but callers sort before reporting).
    var allKeys: [Int] { keys.filter { $0 != Self.emptyKey } }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let capacity = keys.count * 2
        keys = Array(repeating: Self.emptyKey, count: capacity)
        values = Array(repeating: nil, count: capacity)
        mask = capacity - 1
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        count = 0
        for index in oldKeys.indices where oldKeys[index] != Self.emptyKey {
            set(oldValues[index]!, for: oldKeys[index])
        }
    }
}
