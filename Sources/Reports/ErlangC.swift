import Foundation

/// The M/M/c queue (Poisson arrivals, exponential service, c servers, first come first served):
/// what queueing theory predicts for a fixed pool, to set beside a simulated sweep.
///
/// With offered load a = λ/μ and utilisation ρ = a/c < 1, Erlang's C formula gives the chance an
/// arrival waits, C = (aᶜ/c!)·(1/(1−ρ)) / (Σₖ₌₀ᶜ⁻¹ aᵏ/k! + (aᶜ/c!)·(1/(1−ρ))); a waiting time is
/// exponential with rate cμ − λ, so P(W > t) = C·e^{−(cμ−λ)t}, the mean wait is C/(cμ−λ) and the
/// q-quantile is max(0, ln(C/(1−q))/(cμ−λ)).
public struct ErlangC: Sendable, Equatable {
    public var arrivalRatePerSecond: Double
    public var meanServiceSeconds: Double
    public var servers: Int

    public init(arrivalRatePerSecond: Double, meanServiceSeconds: Double, servers: Int) {
        self.arrivalRatePerSecond = arrivalRatePerSecond
        self.meanServiceSeconds = meanServiceSeconds
        self.servers = servers
    }

    public var utilisation: Double { arrivalRatePerSecond * meanServiceSeconds / Double(servers) }

    /// False when the pool cannot keep up (ρ ≥ 1): the queue grows without bound.
    public var isStable: Bool { utilisation < 1 && servers > 0 && meanServiceSeconds > 0 }

    /// The probability that an arrival waits (Erlang C); 1 when unstable.
    public var waitProbability: Double {
        guard isStable else { return 1 }
        // Erlang B by its recurrence B(k) = a·B(k−1) / (k + a·B(k−1)), which stays in [0, 1] for
        // any c (aᶜ/c! itself overflows a Double past c ≈ 170), then C = B / (1 − ρ(1 − B)).
        let a = arrivalRatePerSecond * meanServiceSeconds
        var blocking = 1.0
        for k in 1...servers { blocking = a * blocking / (Double(k) + a * blocking) }
        return blocking / (1 - utilisation * (1 - blocking))
    }

    /// The rate of the exponential waiting time of those who wait: cμ − λ.
    private var drainRate: Double { Double(servers) / meanServiceSeconds - arrivalRatePerSecond }

    /// Mean wait in the queue, in seconds (infinite when unstable).
    public var meanWaitSeconds: Double { isStable ? waitProbability / drainRate : .infinity }

    /// The `quantile` (0..<1) of the wait in the queue, in seconds (infinite when unstable).
    public func waitSeconds(quantile: Double) -> Double {
        guard isStable else { return .infinity }
        let tail = 1 - quantile
        let chance = waitProbability
        guard chance > tail else { return 0 }
        return log(chance / tail) / drainRate
    }
}
