/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64).
///
/// The core takes randomness only from a generator its driver seeds, so a simulated run replays
/// exactly from its seed. The simulator splits one root seed into one of these per subsystem
/// (arrivals, task bodies, faults, jitter) with `split(stream:)`.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var mixer = seed
        s0 = SeededRandom.splitMix(&mixer)
        s1 = SeededRandom.splitMix(&mixer)
        s2 = SeededRandom.splitMix(&mixer)
        s3 = SeededRandom.splitMix(&mixer)
    }

    /// An independent generator for a named subsystem, derived from this root seed and a stream id.
    public static func split(seed: UInt64, stream: UInt64) -> SeededRandom {
        var mixer = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15)
        return SeededRandom(seed: splitMix(&mixer) ^ stream)
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
