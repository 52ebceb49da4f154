/// A point on the worker's clock, in microseconds since the Unix epoch (UTC).
///
/// The core never reads a clock: every call carries `now` as an `Instant`. Microseconds match the
/// resolution of the ISO 8601 timestamps Celery writes (`eta`, `expires`, `date_done`), so a time
/// taken from a message converts without rounding. The simulator starts its virtual clock at a fixed
/// epoch, so simulated `eta` headers are meaningful dates.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    public static func + (lhs: Instant, rhs: TimeSpan) -> Instant {
        Instant(microsecondsSinceEpoch: lhs.microsecondsSinceEpoch &+ rhs.microseconds)
    }

    public static func - (lhs: Instant, rhs: TimeSpan) -> Instant {
        Instant(microsecondsSinceEpoch: lhs.microsecondsSinceEpoch &- rhs.microseconds)
    }

    public static func - (lhs: Instant, rhs: Instant) -> TimeSpan {
        TimeSpan(microseconds: lhs.microsecondsSinceEpoch &- rhs.microsecondsSinceEpoch)
    }

    public var description: String { "\(microsecondsSinceEpoch)µs" }
}

/// A length of time in microseconds. Integer arithmetic keeps simulated runs exact and replayable.
public struct TimeSpan: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static let zero = TimeSpan(microseconds: 0)

    public static func seconds(_ value: Int64) -> TimeSpan { TimeSpan(microseconds: value &* 1_000_000) }
    public static func milliseconds(_ value: Int64) -> TimeSpan { TimeSpan(microseconds: value &* 1_000) }
    public static func microseconds(_ value: Int64) -> TimeSpan { TimeSpan(microseconds: value) }

    /// Seconds as a floating value, rounded to the nearest microsecond (Celery accepts float seconds).
    @_disfavoredOverload
    public static func seconds(_ value: Double) -> TimeSpan {
        TimeSpan(microseconds: Int64((value * 1_000_000).rounded()))
    }

    public var seconds: Double { Double(microseconds) / 1_000_000 }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.microseconds < rhs.microseconds }
    public static func + (lhs: TimeSpan, rhs: TimeSpan) -> TimeSpan { TimeSpan(microseconds: lhs.microseconds &+ rhs.microseconds) }
    public static func - (lhs: TimeSpan, rhs: TimeSpan) -> TimeSpan { TimeSpan(microseconds: lhs.microseconds &- rhs.microseconds) }
    public static func * (lhs: TimeSpan, rhs: Int64) -> TimeSpan { TimeSpan(microseconds: lhs.microseconds &* rhs) }

    public var description: String { "\(microseconds)µs" }
}
