import Testing
@testable import Calibration

/// The check's verdict on one figure: its tolerance, or the seeds' prediction interval where the
/// model itself scatters the figure wider than the tolerance.
struct CalibrationCheckVerdictTests {
    static func figure(recorded: Double, seeds: [Double], tolerance: Double = 0.10, floor: Double = 0.001) -> CalibrationCheck.Figure {
        CalibrationCheck.Figure(name: "run time p50", recorded: recorded, simulated: seeds, tolerance: tolerance, floor: floor)
    }

    /// The stop-34 CI run: the mixed median's seeds 21.6-26.8 ms, the recording 26.2 ms, 10.7% from
    /// their mean. Outside 10%, inside the interval (mean 23.4 ms, s 2.0 ms: ±10.1 ms).
    @Test func aFigureTheSeedsScatterIsJudgedByTheirInterval() throws {
        let figure = Self.figure(recorded: 0.026166, seeds: [0.02293, 0.026818, 0.022418, 0.021602, 0.023122])
        let interval = try #require(figure.seedInterval)
        #expect(abs(interval - 4.604 * 0.002012 * (1.2).squareRoot()) < 0.0001)
        #expect(abs(figure.mean! - figure.recorded!) > 0.10 * figure.recorded!)
        #expect(figure.within == true)
    }

    /// Tight seeds give a narrow interval: a recording 20% away is off, whatever the seeds say.
    @Test func tightSeedsLeaveTheToleranceToDecide() throws {
        let figure = Self.figure(recorded: 0.050, seeds: [0.0400, 0.0401, 0.0399, 0.0402, 0.0400])
        #expect(try #require(figure.seedInterval) < 0.001)
        #expect(figure.within == false)
        #expect(Self.figure(recorded: 0.0420, seeds: figure.simulated).within == true)
    }

    /// Two seeds give no interval (t(0.995, 1) is 63.7: it would accept anything).
    @Test func belowThreeSeedsOnlyTheToleranceCounts() {
        let figure = Self.figure(recorded: 0.030, seeds: [0.020, 0.025])
        #expect(figure.seedInterval == nil)
        #expect(figure.within == false)
    }

    @Test func theTQuantilesAreTheTablesAndNeverNarrower() {
        #expect(StudentT.twoSided99(degreesOfFreedom: 4) == 4.604)
        #expect(StudentT.twoSided99(degreesOfFreedom: 30) == 2.750)
        #expect(StudentT.twoSided99(degreesOfFreedom: 35) == 2.750)
        #expect(StudentT.twoSided99(degreesOfFreedom: 500) == 2.617)
        let values = (1...200).map { StudentT.twoSided99(degreesOfFreedom: $0) }
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 >= $1 } && values.last! > 2.576)
    }
}
