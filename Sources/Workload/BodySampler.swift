import Foundation
import Scenarios
import WorkerCore

/// Draws what one attempt of a modelled task body does, from the task-bodies generator.
public struct BodySampler {
    /// The fate of one attempt.
    public enum Fate {
        case finishes(after: TimeSpan, outcome: TaskOutcome)
        case crashes(after: TimeSpan)
        case hangs
    }

    public static func draw(_ model: TaskBodyModel, slowFactor: Double, random: inout SeededRandom) -> Fate {
        let duration = sampleDuration(model.duration, random: &random)
        let scaled = slowFactor == 1 ? duration : TimeSpan(microseconds: Int64(Double(duration.microseconds) * slowFactor))
        // One draw per fate keeps the stream layout stable when a probability is zero.
        let fateDraw = random.nextUnitDouble()
        if fateDraw < model.crashProbability {
            return .crashes(after: TimeSpan(microseconds: scaled.microseconds / 2))
        }
        if fateDraw < model.crashProbability + model.hangProbability {
            return .hangs
        }
        if fateDraw < model.crashProbability + model.hangProbability + model.failureProbability {
            let error = ErrorDescription(type: model.failureErrorType, message: "simulated \(model.failureErrorType)")
            return .finishes(after: scaled, outcome: .failed(error))
        }
        return .finishes(after: scaled, outcome: .succeeded(resultJSON: nil))
    }

    public static func sampleDuration(_ distribution: DurationDistribution, random: inout SeededRandom) -> TimeSpan {
        switch distribution {
        case .constant(let value):
            return value
        case .uniform(let low, let high):
            let u = random.nextUnitDouble()
            return TimeSpan(microseconds: low.microseconds + Int64(u * Double(high.microseconds - low.microseconds)))
        case .exponential(let mean):
            let u = random.nextUnitDouble()
            return TimeSpan(microseconds: Int64(-Double(mean.microseconds) * log(1 - u)))
        case .logNormal(let median, let p99):
            // ln(p99 / median) = sigma * z99, with z99 the standard normal 99th percentile.
            let sigma = log(Double(p99.microseconds) / Double(median.microseconds)) / 2.326_347_874
            let z = standardNormal(random: &random)
            return TimeSpan(microseconds: Int64(Double(median.microseconds) * exp(sigma * z)))
        case .empirical(let values):
            guard !values.isEmpty else { return .zero }
            return values[Int(random.next(upperBound: UInt64(values.count)))]
        }
    }

    /// Box–Muller with two uniform draws (always two, so the stream stays aligned).
    public static func standardNormal(random: inout SeededRandom) -> Double {
        let u1 = max(random.nextUnitDouble(), 0x1p-53)
        let u2 = random.nextUnitDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// An exponential gap with the given rate per second.
    public static func exponentialGap(ratePerSecond: Double, random: inout SeededRandom) -> TimeSpan {
        let u = random.nextUnitDouble()
        return TimeSpan(microseconds: max(1, Int64(-log(1 - u) / ratePerSecond * 1_000_000)))
    }
}
