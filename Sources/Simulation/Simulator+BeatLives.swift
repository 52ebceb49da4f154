import Reports
import Scenarios
import Schedules
import WorkerCore

/// Beat processes coming and going — the run's beats at t = 0, `start_beat`, `kill_beat` (SIGKILL:
/// the lock stays until its expiry), `restart_beat` (a clean stop that releases the lock, then a
/// new process after `down_for`) — and what the beats could do at each moment, which explains the
/// runs they missed (`PeriodicRuns.Coverage`).
extension Simulator {
    /// The beats, the lock and the last-run store for a scenario's schedule; nil without one.
    static func makeBeatWorld(_ scenario: Scenario, taskIndexByName: [String: Int]) -> BeatWorld? {
        guard let schedule = scenario.schedule else { return nil }
        let lineup = scenario.scheduledBeats
        let beats = lineup.enumerated().map { index, beat in
            SimBeat(index: index, number: beat.number, spec: beat.spec, usesLock: beat.usesLock)
        }
        let spec = schedule.spec
        let judge = PeriodicRuns(schedule: schedule, beats: lineup, duration: scenario.duration)
        return BeatWorld(schedule: schedule, entryTaskIndex: spec.entries.map { taskIndexByName[$0.task] ?? 0 }, beats: beats,
                         lastRuns: spec.entries.map { _ in nil }, judge: judge)
    }

    /// The schedule's beats start with the run (a `start_beat` one waits for its fault).
    func startBeats() {
        guard let world = beatWorld else { return }
        noteBeatCoverage()
        for index in world.beats.indices where index < world.schedule.beats.count { startBeat(index) }
    }

    func startBeat(_ b: Int) {
        guard !world.beats[b].alive else { return }
        world.beats[b].alive = true
        world.beats[b].generation += 1
        world.beats[b].killed = false
        world.beats[b].scheduler = nil
        world.beats[b].holding = false
        let beat = world.beats[b]
        trace.record(now, .beatStart, "beat", beat.name, "lock", String(beat.usesLock), "clock_offset", String(beat.clockOffsetMicros))
        noteBeatCoverage()
        if now < loadEnd { queue.schedule(.beatWake(beat: b, generation: beat.generation), at: now) }
    }

    /// SIGKILL: no release; a standby takes the lock once it expires.
    func killBeat(_ b: Int) {
        guard world.beats[b].alive else { return }
        let holding = world.lock.isHeld(by: world.beats[b].life, now: now)
        if holding { world.killedHolder = world.beats[b].life }
        endBeatLife(b, killed: true)
        trace.record(now, .beatKill, "beat", world.beats[b].name, "holding", String(holding))
        noteBeatCoverage()
    }

    /// `restart_beat`: a clean stop (the lock released, so a standby takes it at its next look),
    /// then the same beat started again after `downFor`, reading the stored last runs.
    func restartBeat(_ b: Int, downFor: TimeSpan) {
        if world.beats[b].alive {
            let released = world.lock.release(world.beats[b].life, now: now)
            endBeatLife(b, killed: false)
            trace.record(now, .beatStop, "beat", world.beats[b].name, "released", String(released))
            noteBeatCoverage()
        }
        queue.schedule(.beatRestart(beat: b), at: now + downFor)
    }

    private func endBeatLife(_ b: Int, killed: Bool) {
        world.beats[b].alive = false
        world.beats[b].generation += 1
        world.beats[b].killed = killed
        world.beats[b].holding = false
        world.beats[b].scheduler = nil
    }

    /// Records what the beats can do from now on, after anything that may change it.
    func noteBeatCoverage() {
        guard beatWorld != nil else { return }
        let beats = world.beats
        let live = beats.filter(\.alive)
        let state: PeriodicRuns.Coverage
        if live.isEmpty {
            state = .noBeat
        } else if brokerDown {
            state = .brokerDown
        } else if live.contains(where: { !$0.usesLock }) {
            state = .sending
        } else if let holder = world.lock.holder, world.lock.isLive(now: now), beats[holder.beat].life == holder,
                  beats[holder.beat].holding {
            state = .sending
        } else {
            let previous = world.lock.lastHolder
            state = .lockLapse(previous: previous.map { beats[$0.beat].name } ?? "none",
                               killed: previous != nil && previous == world.killedHolder)
        }
        world.judge.cover(from: trueWallMicros, state)
    }
}
