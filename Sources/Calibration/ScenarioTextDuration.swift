import Scenarios
import WorkerCore

/// Seconds as the scenario files write durations (`DurationText`), to the microsecond.
public enum ScenarioTextDuration {
    public static func format(_ seconds: Double) -> String {
        DurationText.format(TimeSpan(microseconds: Int64((max(0, seconds) * 1e6).rounded())))
    }

    public static func parse(_ text: String) -> Double? {
        DurationText.parse(text).map { Double($0.microseconds) / 1e6 }
    }
}
