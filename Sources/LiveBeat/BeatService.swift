import CeleryWire
import Dispatch
import Foundation
import Logging
import RedisClient
import Schedules

/// `lovage beat`'s loop (and `worker -B`'s): Celery beat's service on the pure `BeatScheduler`,
/// the wall clock, and Redis — take or renew the lock, tick, send what is due through the
/// atomic send, sleep until the next due entry (at most `maxInterval`, and with the lock at most
/// a third of its expiry). A lost broker is waited for and reported; a lost lock makes this beat
/// a standby, which takes over (reading the holder's last runs) when the lock lapses.
public final class BeatService: @unchecked Sendable {
    let settings: BeatSettings
    /// Where the beat's records go ("lovage.beat" unless the caller passes its own).
    let logger: Logger
    let wake = DispatchSemaphore(value: 0)
    let stopLock = NSLock()
    var stopRequested = false
    var store: BeatRedisStore?
    var scheduler: BeatScheduler?
    var holding = false
    var lastStandbyHolder: String?
    var brokerLostAt: Int64?
    var lastUnreachableLog: Int64 = 0
    /// Sends made by this beat, per entry name (for tests and the shutdown line).
    public private(set) var sent: [String: Int] = [:]

    public init(settings: BeatSettings, logger: Logger = Logger(label: "lovage.beat")) {
        self.settings = settings
        self.logger = logger
    }

    /// Asks `run` to return: it releases the lock first, so a standby takes over at once.
    public func stop() {
        stopLock.lock()
        stopRequested = true
        stopLock.unlock()
        wake.signal()
    }

    var stopping: Bool {
        stopLock.lock()
        defer { stopLock.unlock() }
        return stopRequested
    }

    /// Unix time in microseconds: schedules are wall-clock (crontabs in a timezone).
    public static func wallNow() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }

    public func run() {
        logger.info("beat: Starting...")
        while !stopping {
            let sleep = step(now: Self.wallNow() + settings.clockOffsetMicros)
            if sleep > 0 { _ = wake.wait(timeout: .now() + .microseconds(Int(min(sleep, 3_600_000_000)))) }
        }
        if holding, let store {
            if (try? store.release()) == true { logger.info("beat: released the lock \(settings.keys.lock)") }
        }
        store?.connection.close()
        let total = sent.values.reduce(0, +)
        logger.info("beat: stopped after sending \(total) task\(total == 1 ? "" : "s")")
    }

    /// One pass: connect if needed, hold or watch the lock, tick, send. Returns how long to sleep.
    func step(now: Int64) -> Int64 {
        guard let store = connectedStore(now: now) else { return settings.reconnectEveryMicros }
        do {
            if settings.useLock {
                let status = try store.acquireOrRenew(ttlMilliseconds: max(settings.lockTimeoutMicros / 1000, 1))
                switch status {
                case .heldByOther(let holder, let remaining):
                    standBy(holder: holder, remainingMilliseconds: remaining)
                    let wait = remaining.map { $0 * 1000 + 1_000 } ?? settings.renewEveryMicros
                    return min(max(wait, 1_000), settings.renewEveryMicros)
                case .acquired:
                    // Free before this pass: whoever held it last (maybe this beat, before a pause)
                    // may have sent since; start from the stored last runs.
                    try takeOver(store: store, now: now)
                case .renewed:
                    if !holding { try takeOver(store: store, now: now) }
                }
            } else if scheduler == nil {
                try takeOver(store: store, now: now)
            }
            guard var current = scheduler else { return settings.renewEveryMicros }
            let tick = current.tick(now: now)
            scheduler = current
            if let index = tick.send, !(try send(index, store: store, now: now)) { return 0 }
            let sleep = tick.sleepMicros
            return settings.useLock ? min(sleep, settings.renewEveryMicros) : sleep
        } catch {
            lose(error, now: now)
            return settings.reconnectEveryMicros
        }
    }

    func connectedStore(now: Int64) -> BeatRedisStore? {
        if let store { return store }
        do {
            let connection = try RedisConnection(url: settings.brokerURL, connectTimeout: 2, commandTimeout: 5)
            store = BeatRedisStore(connection: connection, holderID: settings.holderID, keys: settings.keys)
            if let lostAt = brokerLostAt {
                logger.info("beat: broker \(settings.brokerURL.redacted) is back after \(seconds(now - lostAt))")
            } else {
                logger.info("beat: connected to \(settings.brokerURL.redacted) as \(settings.holderID)")
            }
            brokerLostAt = nil
            return store
        } catch {
            if brokerLostAt == nil {
                brokerLostAt = now
                lastUnreachableLog = now
                logger.error("beat: cannot reach the broker \(settings.brokerURL.redacted): \(error.message); retrying every \(seconds(settings.reconnectEveryMicros))")
            } else if now - lastUnreachableLog >= 30_000_000 {
                lastUnreachableLog = now
                logger.error("beat: broker still unreachable after \(seconds(now - brokerLostAt!)): \(error.message)")
            }
            return nil
        }
    }

    func lose(_ error: Error, now: Int64) {
        store?.connection.close()
        store = nil
        brokerLostAt = now
        lastUnreachableLog = now
        if holding { logger.warning("beat: lost the broker while holding the lock (\(error)); the lock lapses in \(seconds(settings.lockTimeoutMicros)) unless this beat is back") }
        else { logger.warning("beat: lost the broker (\(error)); reconnecting") }
        holding = false
        scheduler = nil
    }

    func standBy(holder: String, remainingMilliseconds: Int64?) {
        if holding {
            logger.warning("beat: the lock \(settings.keys.lock) is now held by \(holder); this beat stops sending")
            holding = false
            scheduler = nil
        }
        guard holder != lastStandbyHolder else { return }
        lastStandbyHolder = holder
        if let remaining = remainingMilliseconds {
            logger.info("beat: standby: \(holder) holds the lock \(settings.keys.lock) (expires in \(seconds(remaining * 1000)) unless renewed)")
        } else {
            logger.error("beat: \(settings.keys.lock) is held by \(holder) with no expiry, so no beat will ever take it over; delete the key if no such beat runs")
        }
    }

    /// Becoming the sender: read the last runs the previous holder (or this beat's last life)
    /// wrote, store a start for entries never run, and say what the downtime collapsed.
    func takeOver(store: BeatRedisStore, now: Int64) throws {
        let stored: [String: Double]
        do { stored = try store.lastRuns() } catch {
            if case .redis(let redis) = error { throw redis }
            logger.error("beat: \(error)")
            stored = [:]
        }
        var lastRuns: [Int64?] = []
        for entry in settings.entries {
            if let seconds = stored[entry.name] {
                lastRuns.append(Int64((seconds * 1_000_000).rounded()))
            } else {
                lastRuns.append(nil)
                // Its first run is one period after the first beat saw it, whichever beat sends it.
                try store.recordLastRun(entry: entry.name, unixSeconds: Double(now) / 1_000_000)
            }
        }
        let fresh = BeatScheduler(entries: settings.entries, zone: settings.zone, maxIntervalMicros: settings.maxIntervalMicros,
                                  startingDeadlineMicros: settings.cronStartingDeadlineMicros, lastRuns: lastRuns, now: now)
        if settings.useLock {
            let previous = lastStandbyHolder.map { " from \($0)" } ?? ""
            logger.info("beat: holding the lock \(settings.keys.lock)\(previous) (expiry \(seconds(settings.lockTimeoutMicros)), renewed every \(seconds(settings.renewEveryMicros)))")
        } else {
            logger.warning("beat: sending without the lock: every other beat on this broker sends the same tasks again")
        }
        for (index, entry) in settings.entries.enumerated() where lastRuns[index] != nil {
            let passed = fresh.passedDueTimes(of: index, now: now)
            guard passed.count > 1 else { continue }
            let state = fresh.state(of: index, now: now)
            let since = CeleryTimestamp.format(lastRuns[index]!)
            if state.isDue {
                logger.warning("beat: \(entry.name) passed \(passed.count) due times since its last send at \(since) with no beat sending; sending it once now, as Celery beat does")
            } else {
                logger.warning("beat: \(entry.name) passed \(passed.count) due times since its last send at \(since); none is sent, the last is older than beat_cron_starting_deadline")
            }
        }
        scheduler = fresh
        holding = settings.useLock
        lastStandbyHolder = nil
    }

    /// Sends entry `index`; false when the lock was lost in between (nothing sent).
    func send(_ index: Int, store: BeatRedisStore, now: Int64) throws -> Bool {
        let entry = settings.entries[index]
        let id = UUID().uuidString.lowercased()
        let message = BeatMessage.make(entry, id: id, deliveryTag: UUID().uuidString.lowercased(),
                                       origin: "\(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)",
                                       now: settings.messageNow(beatNow: now), defaultQueue: settings.defaultQueue)
        let queue = BeatMessage.queue(of: entry, defaultQueue: settings.defaultQueue)
        let sentNow = try store.send(message.encode(), queue: queue, priority: entry.options.priority,
                                     prioritySteps: settings.prioritySteps, entry: entry.name,
                                     unixSeconds: Double(now) / 1_000_000, requireLock: settings.useLock)
        guard sentNow else {
            logger.warning("beat: lost the lock before sending \(entry.name); the beat holding it sends it")
            holding = false
            scheduler = nil
            return false
        }
        sent[entry.name, default: 0] += 1
        // Celery beat's own line (celery/beat.py Scheduler.apply_entry).
        logger.info("Scheduler: Sending due task \(entry.name) (\(entry.task))")
        logger.debug("\(entry.task) sent. id->\(id)")
        return true
    }

    func seconds(_ micros: Int64) -> String {
        let value = Double(micros) / 1_000_000
        return value < 10 ? String(format: "%.1fs", value) : String(format: "%.0fs", value)
    }
}
