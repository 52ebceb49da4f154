#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds as `struct timeval` for hiredis' connect and socket timeouts.
enum Timeval {
    /// `nil` gives a zero timeval, which hiredis/`setsockopt` treat as "no timeout"; so positive
    /// values are raised to at least one millisecond to never mean "forever" by accident.
    static func make(seconds: Double?) -> timeval {
        guard let seconds, seconds.isFinite else { return timeval(tv_sec: 0, tv_usec: 0) }
        let clamped = min(max(seconds, 0.001), 1_000_000_000)
        let whole = clamped.rounded(.towardZero)
        let micros = ((clamped - whole) * 1_000_000).rounded()
        return timeval(tv_sec: Int(whole), tv_usec: Int(micros))
    }
}
