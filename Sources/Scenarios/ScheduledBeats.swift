/// The beat processes a scenario's schedule runs, numbered as the trace and the periodic figures
/// name them: the schedule's `beats` from the start (beat-1 … beat-B), then each `start_beat`
/// fault in file order. The simulator's beats and a real run's `lovage beat` processes are both
/// made from this one list, so beat-2 is the same beat in both worlds.
public struct ScheduledBeat: Sendable, Equatable {
    /// beat-N's N.
    public let number: Int
    public let spec: BeatSpec
    /// The beat's own `lock`, else the schedule's.
    public let usesLock: Bool
    /// One of the schedule's `beats` (a `start_beat` one waits for its fault).
    public let startsWithRun: Bool

    public init(number: Int, spec: BeatSpec, usesLock: Bool, startsWithRun: Bool) {
        self.number = number; self.spec = spec; self.usesLock = usesLock; self.startsWithRun = startsWithRun
    }

    public var name: String { "beat-\(number)" }
    public var clockOffsetMicros: Int64 { spec.clockOffsetMicros }
}

extension Scenario {
    /// Every beat of the run, in number order; empty without a schedule.
    public var scheduledBeats: [ScheduledBeat] {
        guard let schedule else { return [] }
        var beats = schedule.beats.enumerated().map { offset, spec in
            ScheduledBeat(number: offset + 1, spec: spec, usesLock: schedule.usesLock(spec), startsWithRun: true)
        }
        for fault in faults {
            guard case .startBeat(let number, let spec) = fault.kind, !beats.contains(where: { $0.number == number }) else { continue }
            beats.append(ScheduledBeat(number: number, spec: spec, usesLock: schedule.usesLock(spec), startsWithRun: false))
        }
        return beats
    }
}
