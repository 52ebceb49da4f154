#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waiting for a server that is starting up (container start, service restart), like
/// `wait-for-it`, so a worker can start before its broker without failing at once.
extension RedisConnection {
    /// Tries to connect (with login and `PING`) until it works or `timeout` seconds have passed.
    ///
    /// Authentication and database errors are thrown at once: they mean the server is up and
    /// waiting longer will not help. Otherwise the last failure's code is kept and the message
    /// says how long it waited and what the last failure was.
    public static func waitUntilReachable(url: RedisURL, timeout: Double, pollInterval: Double = 0.1) throws(RedisError) {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int64((max(timeout, 0) * 1000).rounded()))
        var attempts = 0
        while true {
            attempts += 1
            let remaining = seconds(deadline - clock.now)
            let lastError: RedisError
            do {
                let connection = try RedisConnection(url: url, connectTimeout: max(remaining, 0.05))
                connection.close()
                return
            } catch {
                if error.code == .authenticationFailed || error.code == .wrongDatabase { throw error }
                lastError = error
            }
            let left = seconds(deadline - clock.now)
            if left <= 0 {
                let waited = formatSeconds((seconds(clock.now - start) * 10).rounded() / 10)
                let tries = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
                throw RedisError(lastError.code, endpoint: url.redacted,
                                 message: "gave up waiting for \(url.redacted) after \(waited) (\(tries)); last error: \(lastError.message)")
            }
            sleep(seconds: min(max(pollInterval, 0.001), left))
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    private static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.towardZero)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }
}
