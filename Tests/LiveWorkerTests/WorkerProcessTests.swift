import CeleryWire
import Foundation
import RedisClient
import PrivateRedis
import Testing

/// `lovage worker` as a process: start-up, a broker outage mid-run, shutdown on SIGTERM.
@Suite("lovage worker process", .serialized)
struct WorkerProcessTests {
    func logFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lovage-\(name)-\(getpid()).log")
    }

    @Test("runs a task, survives Redis going away and coming back, and stops on SIGTERM")
    func outageAndShutdown() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let log = logFile("outage")
        defer { try? FileManager.default.removeItem(at: log) }
        let worker = try LovageProcess.start(["worker", "-b", server.url.absoluteString, "-c", "2", "--acks-late"], log: log)
        defer { if worker.isRunning { worker.terminate() } }
        #expect(LovageProcess.waitFor("ready.", in: log, timeout: 20))

        let before = try LovageProcess.run(["enqueue", "lovage.add", "--args", "[1, 2]", "--wait", "--timeout", "10",
                                            "--broker", server.url.absoluteString])
        #expect(before.status == 0, "\(before.standardError)")
        #expect(before.standardOutput.contains("\"result\": 3"))

        try server.restart()
        let after = try LovageProcess.run(["enqueue", "lovage.add", "--args", "[5, 6]", "--wait", "--timeout", "20",
                                           "--broker", server.url.absoluteString])
        #expect(after.status == 0, "\(after.standardError)\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        #expect(after.standardOutput.contains("\"result\": 11"))

        worker.terminate()  // SIGTERM: warm shutdown
        let deadline = Date().addingTimeInterval(10)
        while worker.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!worker.isRunning)
        #expect(worker.terminationStatus == 0)
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(text.contains("warm shutdown"))
        #expect(text.contains("connection lost"), "the outage is reported")
    }

    @Test("`ready.` is logged once the pool runs and the start-up sweep is done, as Celery logs it")
    func readyAfterStartUp() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        // A message a dead worker took two hours ago and never acknowledged: the sweep at start restores it.
        let sent = try LovageProcess.run(["enqueue", "lovage.add", "--args", "[20, 22]", "--id", "held-by-the-dead",
                                          "--broker", server.url.absoluteString])
        #expect(sent.status == 0, "\(sent.standardError)")
        let connection = try RedisConnection(url: server.url)
        let payload = try #require(try connection.command("RPOP", "celery").bytes)
        let envelope = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        let tag = try #require((envelope["properties"] as? [String: Any])?["delivery_tag"] as? String)
        _ = try connection.command("HSET", "unacked", tag, "[" + String(decoding: payload, as: UTF8.self) + ", \"\", \"celery\"]")
        _ = try connection.command("ZADD", "unacked_index", String(Date().timeIntervalSince1970 - 7200), tag)

        let log = logFile("ready")
        defer { try? FileManager.default.removeItem(at: log) }
        let worker = try LovageProcess.start(["worker", "-b", server.url.absoluteString, "-c", "2"], log: log)
        defer { if worker.isRunning { worker.terminate(); worker.waitUntilExit() } }
        #expect(LovageProcess.waitFor("ready.", in: log, timeout: 20))
        let text = try String(contentsOf: log, encoding: .utf8)
        let restored = try #require(text.range(of: "restored 1 unacknowledged"), "\(text)")
        let ready = try #require(text.range(of: " ready."))
        #expect(restored.lowerBound < ready.lowerBound, "\(text)")
        // And the restored task runs.
        var document: [UInt8]?
        let deadline = Date().addingTimeInterval(10)
        while document == nil && Date() < deadline {
            document = try connection.command("GET", "celery-task-meta-held-by-the-dead").bytes
            if document == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(document.map { String(decoding: $0, as: UTF8.self).contains("\"result\": 42") } == true)
    }

    @Test("an unreachable broker is reported clearly after the wait, with exit 2 (an unreachable service)")
    func unreachable() throws {
        let outcome = try LovageProcess.run(["worker", "-b", "redis://127.0.0.1:1/0", "--wait-for-broker", "1"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("cannot reach the broker"))
        #expect(outcome.standardError.contains("127.0.0.1:1"))
    }

    @Test("bad flags are refused before connecting", arguments: [
        (["-P", "fork-bomb"], "unknown pool"),
        (["--autoscale", "2,8"], "--autoscale must be MAX,MIN"),
        (["-c", "0"], "--concurrency must be at least 1"),
        (["-b", "http://x"], "broker URL"),
    ])
    func badFlags(arguments: [String], phrase: String) throws {
        let outcome = try LovageProcess.run(["worker"] + arguments)
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains(phrase), "\(outcome.standardError)")
    }

    @Test("AUTOSCALE_KEEPALIVE is read as Celery reads it, and a bad value is refused naming the variable")
    func autoscaleKeepalive() throws {
        let outcome = try LovageProcess.run(["worker", "--autoscale", "4,1", "-b", "redis://127.0.0.1:1/0", "--wait-for-broker", "0"],
                                            environment: ["AUTOSCALE_KEEPALIVE": "soon"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("AUTOSCALE_KEEPALIVE must be a positive duration (30, 30s, 2m; a bare number is seconds), got soon"), "\(outcome.standardError)")
    }
}

@Suite("lovage worker against protected and stalled servers", .serialized)
struct WorkerAuthAndStallTests {
    func logFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lovage-\(name)-\(getpid()).log")
    }

    @Test("AUTH with a password and with an ACL user works; a wrong password is a clear error")
    func authentication() throws {
        let server = try PrivateRedisServer(requirePass: "s3cret", aclUser: .init(name: "celery", password: "pw"))
        defer { server.stop() }
        for url in [server.url(database: 0, password: "s3cret"), server.url(database: 1, username: "celery", password: "pw")] {
            let log = logFile("auth")
            defer { try? FileManager.default.removeItem(at: log) }
            let worker = try LovageProcess.start(["worker", "-b", url.absoluteString, "-c", "1", "-P", "threads"], log: log)
            defer { if worker.isRunning { worker.terminate(); worker.waitUntilExit() } }
            #expect(LovageProcess.waitFor("ready.", in: log, timeout: 20))
            let done = try LovageProcess.run(["enqueue", "lovage.add", "--args", "[2, 2]", "--wait", "--timeout", "10",
                                              "--broker", url.absoluteString])
            #expect(done.status == 0, "\(done.standardError)")
        }
        let wrong = try LovageProcess.run(["worker", "-b", server.url(database: 0, password: "nope").absoluteString,
                                           "--wait-for-broker", "1"])
        #expect(wrong.status != 0)
        #expect(wrong.standardError.contains("authentication failed"), "\(wrong.standardError)")
        #expect(!wrong.standardError.contains("nope"), "the password is not printed")
    }

    @Test("a unix socket URL works for the worker and for enqueue")
    func unixSocket() throws {
        let server = try PrivateRedisServer(unixSocket: true)
        defer { server.stop() }
        let url = try #require(server.unixURL).absoluteString
        let log = logFile("unix")
        defer { try? FileManager.default.removeItem(at: log) }
        let worker = try LovageProcess.start(["worker", "-b", url, "-c", "1", "-P", "threads"], log: log)
        defer { if worker.isRunning { worker.terminate(); worker.waitUntilExit() } }
        #expect(LovageProcess.waitFor("ready.", in: log, timeout: 20))
        let done = try LovageProcess.run(["enqueue", "lovage.echo", "--args", "[\"via socket\"]", "--wait", "--timeout", "10",
                                          "--broker", url])
        #expect(done.status == 0, "\(done.standardError)")
        #expect(done.standardOutput.contains("via socket"))
    }

    @Test("a late-acked task running while Redis stalls is acknowledged once Redis answers again")
    func stallDuringTask() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let log = logFile("stall")
        defer { try? FileManager.default.removeItem(at: log) }
        let worker = try LovageProcess.start(["worker", "-b", server.url.absoluteString, "-c", "1", "--acks-late"], log: log)
        defer { if worker.isRunning { worker.terminate(); worker.waitUntilExit() } }
        #expect(LovageProcess.waitFor("ready.", in: log, timeout: 20))
        let sent = try LovageProcess.run(["enqueue", "lovage.sleep", "--args", "[1]", "--id", "stalled-task",
                                          "--broker", server.url.absoluteString])
        #expect(sent.status == 0)
        Thread.sleep(forTimeInterval: 0.5)
        server.pause()
        Thread.sleep(forTimeInterval: 2)
        server.resume()
        let waited = try LovageProcess.run(["enqueue", "lovage.noop", "--wait", "--timeout", "20",
                                            "--broker", server.url.absoluteString])
        #expect(waited.status == 0, "\(waited.standardError)")
        let connection = try RedisConnection(url: server.url)
        let document = try #require(try connection.command("GET", "celery-task-meta-stalled-task").bytes)
        #expect(String(decoding: document, as: UTF8.self).contains("\"status\": \"SUCCESS\""))
        #expect(try connection.command("HLEN", "unacked").integerValue == 0, "acknowledged after the stall")
    }
}

@Suite("lovage worker signals", .serialized)
struct WorkerSignalTests {
    func startWorker(_ server: PrivateRedisServer, _ name: String) throws -> (Process, URL) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("lovage-\(name)-\(getpid()).log")
        let worker = try LovageProcess.start(["worker", "-b", server.url.absoluteString, "-c", "1", "--acks-late",
                                              "-P", "prefork"], log: log)
        #expect(LovageProcess.waitFor("ready.", in: log, timeout: 20))
        return (worker, log)
    }

    func waitForExit(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return !process.isRunning
    }

    @Test("SIGTERM lets the running late-acked task finish, then exits")
    func warm() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let (worker, log) = try startWorker(server, "warm")
        defer { try? FileManager.default.removeItem(at: log); if worker.isRunning { worker.interrupt() } }
        _ = try LovageProcess.run(["enqueue", "lovage.sleep", "--args", "[1.5]", "--id", "warm-1", "--broker", server.url.absoluteString])
        #expect(LovageProcess.waitFor("task-started lovage.sleep", in: log, timeout: 10))
        kill(worker.processIdentifier, SIGTERM)
        #expect(waitForExit(worker, seconds: 15))
        let connection = try RedisConnection(url: server.url)
        let document = try #require(try connection.command("GET", "celery-task-meta-warm-1").bytes)
        #expect(String(decoding: document, as: UTF8.self).contains("\"status\": \"SUCCESS\""))
        #expect(try connection.command("HLEN", "unacked").integerValue == 0)
    }

    @Test("SIGQUIT stops at once and gives the running late-acked task back to its queue, redelivered")
    func cold() throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        let (worker, log) = try startWorker(server, "cold")
        defer { try? FileManager.default.removeItem(at: log); if worker.isRunning { worker.interrupt() } }
        _ = try LovageProcess.run(["enqueue", "lovage.sleep", "--args", "[30]", "--id", "cold-1", "--broker", server.url.absoluteString])
        #expect(LovageProcess.waitFor("task-started lovage.sleep", in: log, timeout: 10))
        kill(worker.processIdentifier, SIGQUIT)
        #expect(waitForExit(worker, seconds: 10))
        let connection = try RedisConnection(url: server.url)
        #expect(try connection.command("HLEN", "unacked").integerValue == 0)
        let raw = try #require(try connection.command("RPOP", "celery").bytes, "the message is back in its queue")
        let message = try TaskMessage.decode(raw)
        #expect(message.id == "cold-1")
        #expect(message.redelivered == true)
        #expect(try connection.command("GET", "celery-task-meta-cold-1").isNull, "no result: it did not run to the end")
    }
}
