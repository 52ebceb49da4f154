import CeleryWire
import Foundation
import Testing
import WorkerCore

@Suite("Small policies")
struct PolicyTests {
    @Test("rate limit strings", arguments: [
        ("10/s", Int64(100_000)), ("100/m", 600_000), ("5/h", 720_000_000), ("4", 250_000), ("0.5/s", 2_000_000),
    ])
    func rateLimits(text: String, intervalMicros: Int64) {
        #expect(RateLimit.parse(text)?.interval.microseconds == intervalMicros)
    }

    @Test("bad rate limit strings are refused", arguments: ["", "x/s", "10/d", "-1/s", "0", "10/s/s"])
    func badRateLimits(text: String) {
        #expect(RateLimit.parse(text) == nil)
    }

    @Test("priority steps: highest step ≤ priority, bare name for step 0", arguments: [
        (nil as Int?, "celery"), (0, "celery"), (2, "celery"), (3, "celery\u{06}\u{16}3"), (5, "celery\u{06}\u{16}3"),
        (8, "celery\u{06}\u{16}6"), (9, "celery\u{06}\u{16}9"),
    ])
    func prioritySteps(priority: Int?, key: String) {
        #expect(PriorityQueueKeys.listKey(queue: "celery", priority: priority, steps: [0, 3, 6, 9]) == key)
    }

    @Test("task_routes: explicit queue, exact name, then globs in order, then the default")
    func routes() {
        let router = TaskRouter(rules: [.init(pattern: "dataset.*", queue: "dataset"),
                                        .init(pattern: "mail.send", queue: "mail"),
                                        .init(pattern: "*", queue: "catchall")])
        #expect(router.queue(forTask: "dataset.index") == "dataset")
        #expect(router.queue(forTask: "mail.send") == "mail")
        #expect(router.queue(forTask: "other") == "catchall")
        #expect(router.queue(forTask: "dataset.index", explicitQueue: "priority") == "priority")
        #expect(TaskRouter(rules: []).queue(forTask: "x") == "celery")
    }

    @Test("fnmatch globbing", arguments: [
        ("a.*", "a.b", true), ("a.*", "b.a", false), ("a?c", "abc", true), ("[ab]x", "bx", true),
        ("[!ab]x", "bx", false), ("*.index", "dataset.index", true), ("*", "", true), ("a*b*c", "aXbYc", true),
        ("a*b*c", "aXbY", false),
    ])
    func globs(pattern: String, text: String, matches: Bool) {
        #expect(Glob.matches(pattern: pattern, text) == matches)
    }

    @Test("the same seed gives the same stream; split streams differ")
    func seededRandom() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        #expect((0..<5).map { _ in a.next() } == (0..<5).map { _ in b.next() })
        var s1 = SeededRandom.split(seed: 42, stream: 1), s2 = SeededRandom.split(seed: 42, stream: 2)
        #expect(s1.next() != s2.next())
    }
}

@Suite("The core has no effects")
struct PurityTests {
    /// docs/ARCHITECTURE.md rule 2: no clock, randomness, I/O or Foundation in the worker core.
    @Test("Sources/WorkerCore uses no clock, random source, dispatch or Foundation")
    func noEffectsInCore() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let core = root.appendingPathComponent("Sources/WorkerCore")
        let files = try FileManager.default.contentsOfDirectory(atPath: core.path).filter { $0.hasSuffix(".swift") }.sorted()
        #expect(files.count >= 10, "found the core's sources")
        let banned = ["import Foundation", "Date(", "ContinuousClock", "SuspendingClock", "Task.sleep", ".random(",
                      "DispatchQueue", "SystemRandomNumberGenerator", "import Glibc", "import Darwin", "FileManager",
                      "ProcessInfo", "getenv("]
        for file in files {
            let text = try String(contentsOf: core.appendingPathComponent(file), encoding: .utf8)
            for pattern in banned {
                #expect(!text.contains(pattern), "\(file) contains \(pattern)")
            }
        }
    }
}
