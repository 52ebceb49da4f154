/// A JSON object that keeps its keys in insertion order, like a Python 3.7+ `dict`.
///
/// Stored as a plain array of pairs: Celery objects are small (≈20 headers), so a linear scan beats
/// hashing, and the order is what lets us re-emit Python's bytes exactly. Keys are unique; setting an
/// existing key replaces its value in place (Python's `d[k] = v`), which is also how duplicate keys in
/// parsed input behave (last value wins, first position kept).
public struct JSONObject: Sendable, Equatable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)

    @usableFromInline var storage: [Element]

    public init() { storage = [] }

    /// Builds from pairs; a repeated key keeps its first position and its last value.
    public init(_ pairs: some Sequence<(String, JSONValue)>) {
        storage = []
        for (k, v) in pairs { self[k] = v }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }

    // MARK: Collection

    public var startIndex: Int { storage.startIndex }
    public var endIndex: Int { storage.endIndex }
    public subscript(position: Int) -> Element { storage[position] }

    public var keys: [String] { storage.map(\.key) }
    public var values: [JSONValue] { storage.map(\.value) }

    // MARK: Keyed access

    /// Position of `key`, if present.
    @inlinable
    public func index(forKey key: String) -> Int? {
        for i in storage.indices where storage[i].key == key { return i }
        return nil
    }

    /// Get, replace in place, append, or (with nil) remove.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = index(forKey: key) else { return nil }
            return storage[i].value
        }
        set {
            if let newValue { set(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    /// Replaces the value in place if the key exists, appends otherwise.
    public mutating func set(_ value: JSONValue, forKey key: String) {
        if let i = index(forKey: key) {
            storage[i].value = value
        } else {
            storage.append((key, value))
        }
    }

    /// Inserts (or moves) `key` to `position` (clamped to the valid range).
    public mutating func insert(_ value: JSONValue, forKey key: String, at position: Int) {
        removeValue(forKey: key)
        let p = Swift.max(0, Swift.min(position, storage.count))
        storage.insert((key, value), at: p)
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let i = index(forKey: key) else { return nil }
        return storage.remove(at: i).value
    }

    /// Appends without checking for an existing key. Callers guarantee uniqueness (the parser
    /// and the encoders, which build objects from known-distinct keys).
    @usableFromInline
    mutating func appendUnchecked(_ key: String, _ value: JSONValue) {
        storage.append((key, value))
    }

    mutating func reserveCapacity(_ n: Int) { storage.reserveCapacity(n) }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.storage.count == rhs.storage.count else { return false }
        for i in lhs.storage.indices {
            if lhs.storage[i].key != rhs.storage[i].key || lhs.storage[i].value != rhs.storage[i].value {
                return false
            }
        }
        return true
    }
}
