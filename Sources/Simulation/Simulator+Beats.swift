import Reports
import Scenarios
import Schedules
import WorkerCore

/// Celery beat in virtual time: each beat process runs `BeatService.step`'s pass on its own
/// `BeatScheduler` and wall clock (the schedule's `start_at` + virtual time + its clock offset) —
/// take or renew the shared lock, stand by while another holds it, take over from the stored last
/// runs, tick, send what is due — and sleeps what the tick says, capped by the lock's renew
/// interval when it uses the lock, plus a pass's own cost. Beats run while the load does; the
/// drain lets their last tasks finish. The rule for each step is `BeatService`'s; any difference
/// is a bug here.
extension Simulator {
    /// The beats' shared state (only called when the scenario has a schedule).
    var world: BeatWorld {
        get { beatWorld! }
        _modify { yield &beatWorld! }
    }

    /// The true wall clock now: `start_at` plus the virtual time elapsed.
    var trueWallMicros: Int64 { world.schedule.startAtMicros + (now - Simulator.epoch).microseconds }

    /// Beat `b`'s wall clock now.
    func beatClock(_ b: Int) -> Int64 { trueWallMicros + world.beats[b].clockOffsetMicros }

    func beatIndex(number: Int) -> Int? { beatWorld?.beats.firstIndex { $0.number == number } }

    /// A wake-up of beat `b`'s loop: one pass, then the next wake-up (none from the end of the load).
    func beatWake(_ b: Int, generation: Int) {
        guard world.beats[b].alive, world.beats[b].generation == generation, now < loadEnd else { return }
        let sleep = beatPass(b)
        let at = now + TimeSpan(microseconds: max(sleep, 0) + BeatWorld.passCostMicros)
        guard at < loadEnd else { return }
        queue.schedule(.beatWake(beat: b, generation: generation), at: at)
    }

    /// `BeatService.step`: returns how long to sleep (microseconds).
    func beatPass(_ b: Int) -> Int64 {
        let renew = world.schedule.renewEveryMicros
        if brokerDown {
            // The next command fails: the beat forgets its state and tries again later.
            if world.beats[b].holding || world.beats[b].scheduler != nil {
                if world.beats[b].holding { trace.record(now, .beatLockLost, "beat", world.beats[b].name, "holder", "broker") }
                world.beats[b].holding = false
                world.beats[b].scheduler = nil
                noteBeatCoverage()
            }
            return BeatWorld.reconnectEveryMicros
        }
        let usesLock = world.beats[b].usesLock
        if usesLock {
            let ttl = TimeSpan(microseconds: world.schedule.lockTimeoutMicros)
            switch world.lock.acquireOrRenew(world.beats[b].life, now: now, ttl: ttl) {
            case .heldByOther(let holder, let remaining):
                standBy(b, holder: holder)
                return min(max(remaining.microseconds + 1_000, 1_000), renew)
            case .acquired(let previous):
                takeOver(b, previous: previous)
            case .renewed:
                if !world.beats[b].holding { takeOver(b, previous: world.beats[b].life) }
            }
        } else if world.beats[b].scheduler == nil {
            takeOver(b, previous: nil)
        }
        guard var scheduler = world.beats[b].scheduler else { return renew }
        world.beats[b].scheduler = nil   // one owner while it ticks: no copy of its arrays
        let tick = scheduler.tick(now: beatClock(b))
        world.beats[b].scheduler = scheduler
        if let entry = tick.send, !sendEntry(entry, from: b) { return 0 }
        return usesLock ? min(tick.sleepMicros, renew) : tick.sleepMicros
    }

    /// Another beat holds the lock: one that was sending stops.
    func standBy(_ b: Int, holder: BeatLife) {
        guard world.beats[b].holding else { return }
        trace.record(now, .beatLockLost, "beat", world.beats[b].name, "holder", world.beats[holder.beat].name)
        world.beats[b].holding = false
        world.beats[b].scheduler = nil
        noteBeatCoverage()
    }

    /// `BeatService.takeOver`: a fresh scheduler from the stored last runs, "now" stored for entries
    /// never run, and what a downtime collapsed: one catch-up send, or none past the deadline.
    func takeOver(_ b: Int, previous: BeatLife?) {
        let wall = beatClock(b)
        let spec = world.schedule.spec
        var lastRuns: [Int64?] = []
        for index in spec.entries.indices {
            lastRuns.append(world.lastRuns[index])
            // Its first run is one period after the first beat saw it, whichever beat sends it.
            if world.lastRuns[index] == nil { world.lastRuns[index] = wall }
        }
        let fresh = BeatScheduler(entries: spec.entries, zone: spec.zone, maxIntervalMicros: world.schedule.maxIntervalMicros,
                                  startingDeadlineMicros: spec.cronStartingDeadlineMicros, lastRuns: lastRuns, now: wall)
        let name = world.beats[b].name
        if world.beats[b].usesLock {
            trace.record(now, .beatLockTaken, "beat", name, "previous", previous.map { world.beats[$0.beat].name } ?? "none")
            world.judge.beats[b].lockTaken += 1
            world.killedHolder = nil
        }
        for (index, entry) in spec.entries.enumerated() where lastRuns[index] != nil {
            let passed = fresh.passedDueTimes(of: index, now: wall)
            guard let last = passed.last else { continue }
            if !fresh.state(of: index, now: wall).isDue {
                world.judge.deadlineSkips.append((index, last, trueWallMicros))
                trace.record(now, .beatCatchUp, "entry", entry.name, "beat", name, "passed", String(passed.count),
                             "action", "skipped: beyond beat_cron_starting_deadline")
            } else if passed.count > 1 {
                trace.record(now, .beatCatchUp, "entry", entry.name, "beat", name, "passed", String(passed.count), "action", "sent once")
            }
        }
        world.beats[b].scheduler = fresh
        world.beats[b].holding = world.beats[b].usesLock
        noteBeatCoverage()
    }

    /// The atomic send: refused when the lock is no longer this beat's (nothing sent, the beat
    /// stands by), else the entry's last run and the task's publish together.
    func sendEntry(_ entry: Int, from b: Int) -> Bool {
        let beat = world.beats[b]
        if beat.usesLock && !world.lock.isHeld(by: beat.life, now: now) {
            trace.record(now, .beatLockLost, "beat", beat.name, "holder", world.lock.holder.map { world.beats[$0.beat].name } ?? "none")
            world.beats[b].holding = false
            world.beats[b].scheduler = nil
            noteBeatCoverage()
            return false
        }
        world.lastRuns[entry] = beatClock(b)
        world.sent += 1
        let spec = world.schedule.spec.entries[entry]
        let id = numberedID(UInt8(ascii: "b"), world.sent)
        trace.record(now, .beatSend, "entry", spec.name, "task", id, "beat", beat.name, "name", spec.task)
        world.judge.sends.append(PeriodicRuns.Send(entry: entry, beat: b, atMicros: trueWallMicros))
        publishBeatSend(taskIndex: world.entryTaskIndex[entry], options: spec.options,
                        number: -(BeatWorld.taskNumberBase + world.sent), id: id)
        return true
    }
}
