/// Carries a connection made on the calling thread to the thread that uses it from then on (a
/// `RedisConnection` is not Sendable because it must not be used by two threads at once; this
/// hands it over once, and the caller never touches it again).
final class ThreadHandoff<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
