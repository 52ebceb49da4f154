import Foundation
import Glibc
import Logging
import Scenarios
import WorkerCore

/// A worker group's `memory_limit` done for real: the container limit a Kubernetes pod or a
/// `docker run --memory` puts on a worker and its pool children, enforced the way the kernel's
/// OOM killer ends a cgroup over its limit — the whole worker dies with SIGKILL — and the
/// container restarted after `restart_delay`, as a pod's restart policy does.
///
/// A private run cannot create cgroups without privileges, so this watch reads the resident
/// memory of each worker and its children from /proc every `pollMilliseconds` and kills the
/// worker when the sum passes the limit. Memory can overshoot the limit by what the tasks
/// allocate within one poll; the kernel would stop them at the limit itself.
final class ContainerMemoryLimit: @unchecked Sendable {
    static let pollMilliseconds = 50

    private let fleet: WorkerFleet
    /// The limit in bytes and the restart delay of each worker, by name, in the fleet's order.
    private let limits: [(name: String, limitBytes: Int64, restartDelay: TimeSpan)]
    private let logger: Logger
    private let lock = NSLock()
    private var pendingRestarts: [(name: String, at: Date)] = []
    private var kills = 0
    private var stopping = false
    private var thread: Thread?

    init(scenario: Scenario, fleet: WorkerFleet, logger: Logger) {
        self.fleet = fleet
        self.logger = logger
        var limits: [(String, Int64, TimeSpan)] = []
        for (index, group) in scenario.fleet.enumerated() {
            guard let limit = group.memoryLimitBytes else { continue }
            for name in fleet.names(ofGroup: index) { limits.append((name, limit, group.restartDelay)) }
        }
        self.limits = limits
    }

    var isEmpty: Bool { limits.isEmpty }

    /// Workers killed for passing their limit so far.
    var oomKilled: Int { lock.withLock { kills } }

    func start() {
        guard !limits.isEmpty else { return }
        let thread = Thread { [self] in watch() }
        thread.name = "lovage-run-memory-limit"
        self.thread = thread
        thread.start()
    }

    func stop() {
        lock.withLock { stopping = true }
        while let thread, !thread.isFinished { Thread.sleep(forTimeInterval: 0.01) }
    }

    private func watch() {
        while !lock.withLock({ stopping }) {
            for worker in limits {
                guard let pid = fleet.processIdentifier(worker.name) else { continue }
                let resident = Self.residentBytes(ofTree: pid)
                guard resident > worker.limitBytes else { continue }
                fleet.kill(worker.name)
                logger.info("oom: \(worker.name) killed: worker and children resident \(resident / 1_048_576) MiB > memory_limit \(worker.limitBytes / 1_048_576) MiB; restarting in \(worker.restartDelay.seconds) s")
                lock.withLock {
                    kills += 1
                    pendingRestarts.append((worker.name, Date().addingTimeInterval(worker.restartDelay.seconds)))
                }
            }
            let due = lock.withLock { () -> [String] in
                let now = Date()
                let due = pendingRestarts.filter { $0.at <= now }.map(\.name)
                pendingRestarts.removeAll { $0.at <= now }
                return due
            }
            for name in due where !fleet.isRunning(name) {
                do { try fleet.start(name); logger.info("oom: restarted \(name)") } catch { logger.info("oom: restarting \(name): \(error)") }
            }
            Thread.sleep(forTimeInterval: Double(Self.pollMilliseconds) / 1000)
        }
    }

    /// Resident bytes of a process and its children (a worker and its pool), from /proc.
    static func residentBytes(ofTree pid: Int32) -> Int64 {
        var total = residentBytes(of: pid) ?? 0
        for child in WorkerFleet.children(of: pid) { total += residentBytes(of: child) ?? 0 }
        return total
    }

    /// The second field of /proc/<pid>/statm (resident pages) in bytes; nil once the process is gone.
    static func residentBytes(of pid: Int32) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int64(fields[1]) else { return nil }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
