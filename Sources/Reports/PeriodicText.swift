import Foundation
import Scenarios
import WorkerCore

/// The "periodic" block of the terminal summary: per schedule entry its sends against its due
/// times, the duplicates and missed runs with their causes, then the beats. Empty for a run
/// without a schedule, so other runs print what they always did.
public enum PeriodicText {
    public static func lines(_ s: RunSummary) -> [String] {
        guard let periodic = s.periodic else { return [] }
        var lines = ["periodic  \(periodic.sends) sent for \(periodic.due) due  duplicates \(periodic.duplicates)  missed \(periodic.missed)"]
        let width = max(12, (periodic.entries.map(\.entry.count).max() ?? 0) + 2)
        lines.append("  " + "entry".padding(toLength: width, withPad: " ", startingAt: 0)
                     + ["sends", "due", "duplicates", "missed"].map { pad($0, 11) }.joined() + "  schedule")
        for entry in periodic.entries {
            var row = "  " + entry.entry.padding(toLength: width, withPad: " ", startingAt: 0)
                + [entry.sends, entry.due, entry.duplicates, entry.missed].map { pad(String($0), 11) }.joined()
                + "  \(entry.schedule)"
            if let offset = entry.sendOffsetMicros, offset.min != 0 || offset.max != 0 {
                row += ", sent \(signed(offset.min))…\(signed(offset.max)) from due"
            }
            if let gap = entry.gapMicros { row += ", gaps \(time(gap.min))…\(time(gap.max))" }
            lines.append(row)
            for cause in entry.duplicateCauses {
                lines.append("      duplicated \(cause.count)×: \(cause.cause) (first at \(PeriodicRuns.runTime(Int64(cause.firstAtSeconds * 1_000_000))))")
            }
            for cause in entry.missedCauses {
                lines.append("      missed \(cause.count)×: \(cause.cause) (first due \(PeriodicRuns.runTime(Int64(cause.firstAtSeconds * 1_000_000))))")
            }
        }
        let beats = periodic.beats.map { beat in
            var text = "\(beat.beat) sent \(beat.sends)"
            text += beat.lock ? ", took the lock \(beat.lockTaken)×" : ", no lock"
            if beat.clockOffsetMicros != 0 {
                text += ", clock \(beat.clockOffsetMicros < 0 ? "-" : "+")\(DurationText.format(TimeSpan(microseconds: abs(beat.clockOffsetMicros))))"
            }
            return text
        }
        lines.append("  beats   " + beats.joined(separator: "; "))
        return lines
    }

    static func time(_ micros: Int64) -> String { humanDuration(microseconds: Double(micros)) }

    static func signed(_ micros: Int64) -> String { (micros < 0 ? "-" : "+") + time(abs(micros)) }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
