/// Celery's retry options and the countdown rule they imply.
///
/// Sources: celery/app/task.py (`Task.retry`: the max_retries check and `default_retry_delay`),
/// celery/app/autoretry.py (`autoretry_for`, `dont_autoretry_for`, `retry_backoff`), and
/// celery/utils/time.py `get_exponential_backoff_interval`.
public struct RetryPolicy: Sendable, Equatable {
    /// `max_retries`: retries allowed after the first attempt; nil retries forever. Celery's default is 3.
    public var maxRetries: Int? = 3
    /// `default_retry_delay`: the countdown when no backoff applies. Celery's default is 180 s.
    public var defaultRetryDelay: TimeSpan = .seconds(180)
    /// `autoretry_for`: exception type names that trigger an automatic retry. "Exception" matches all.
    public var autoretryFor: [String] = []
    /// `dont_autoretry_for`: exception type names excluded from `autoretryFor`.
    public var dontAutoretryFor: [String] = []
    /// `retry_backoff`: nil (False) or the backoff factor (True means 1).
    public var backoffFactor: Int? = nil
    /// `retry_backoff_max`: the cap on a backoff countdown (600 s by default).
    public var backoffMax: TimeSpan = .seconds(600)
    /// `retry_jitter`: with backoff, draw the countdown uniformly from [0, countdown] (default True).
    public var jitter: Bool = true

    public init() {}

    /// Whether an error of this type is retried automatically (`autoretry_for` minus `dont_autoretry_for`).
    public func autoretries(errorType: String) -> Bool {
        if dontAutoretryFor.contains(errorType) { return false }
        return autoretryFor.contains(errorType) || autoretryFor.contains("Exception")
    }

    /// Whether an attempt that ran with `retries` previous retries may retry again:
    /// `Task.retry` computes `retries = request.retries + 1` and gives up when it exceeds max_retries.
    public func allowsRetry(afterRetries retries: Int) -> Bool {
        guard let maxRetries else { return true }
        return retries + 1 <= maxRetries
    }

    /// Why an attempt is retried, which decides its countdown.
    public enum Cause: Sendable, Equatable {
        /// The body called `self.retry(countdown=...)`; nil when it gave none.
        case requested(countdown: TimeSpan?)
        /// `autoretry_for` caught the body's error.
        case automatic
    }

    /// The countdown before the next attempt, the one place it is worked out: a requested retry's
    /// own countdown, else `default_retry_delay`; an automatic one by `autoretryCountdown`, which
    /// draws its jitter from `random` (the driver-seeded generator).
    public func countdown<R: RandomNumberGenerator>(for cause: Cause, retries: Int, random: inout R) -> TimeSpan {
        switch cause {
        case .requested(let countdown): return countdown ?? defaultRetryDelay
        case .automatic: return autoretryCountdown(retries: retries, random: &random)
        }
    }

    /// The countdown of an automatic retry, exactly as Celery computes it: with backoff,
    /// `min(retry_backoff_max, factor * 2 ** retries)` whole seconds, then with jitter a uniform
    /// integer in [0, countdown]; without backoff, `default_retry_delay`.
    public func autoretryCountdown<R: RandomNumberGenerator>(retries: Int, random: inout R) -> TimeSpan {
        guard let factor = backoffFactor else { return defaultRetryDelay }
        let maximumSeconds = backoffMax.microseconds / 1_000_000
        let (product, overflow) = Int64(max(1, factor)).multipliedReportingOverflow(
            by: retries >= 62 ? Int64.max : Int64(1) << Int64(max(0, retries)))
        var countdown = overflow ? maximumSeconds : min(maximumSeconds, product)
        if jitter {
            // Celery: `random.randrange(countdown + 1)`; the draw comes from the driver's seeded generator.
            countdown = Int64(random.next(upperBound: UInt64(max(0, countdown)) + 1))
        }
        return .seconds(max(0, countdown))
    }
}
