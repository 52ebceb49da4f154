import CeleryWire
import Glibc
import Foundation
import RedisClient
import WorkerCore

/// The values of Celery's inspect commands (celery/worker/control.py, `@inspect_command`), built on
/// the main loop from the core's and the driver's state, in the shapes of the captures
/// (Tests/Fixtures/celery-wire/pidbox 02-15, 70).
extension LiveWorkerDriver {
    /// `stats` (control.py `stats` → `Consumer.info`, `TaskPool.info`, `rusage`): the keys and JSON
    /// types of 02-inspect-stats.reply-structure.txt; `autoscaler` only when autoscaling (70).
    func statsValue() -> JSONValue {
        var stats = JSONObject()
        stats.add("total", .object(JSONObject(taskTotals().map { ($0.name, .int(Int64($0.count))) })))
        stats.add("pid", .int(Int64(getpid())))
        stats.add("clock", .string(String(appClock)))
        stats.add("uptime", .int(Int64(Date().timeIntervalSince(startedAt))))
        stats.add("pool", poolInfo())
        if let autoscale = core.config.autoscale {
            stats.add("autoscaler", .object([
                "max": .int(Int64(autoscale.maxConcurrency)), "min": .int(Int64(autoscale.minConcurrency)),
                "current": .int(Int64(core.poolSize)), "qty": .int(Int64(core.reservedWaitingCount)),
            ]))
        }
        stats.add("broker", brokerInfo())
        stats.add("prefetch_count", .int(Int64(core.config.prefetchLimit ?? 0)))
        stats.add("rusage", Self.rusageValue())
        return .object(stats)
    }

    private func poolInfo() -> JSONValue {
        let options = core.config.taskDefaults
        var pool = JSONObject()
        pool.add("implementation", .string(settings.pool == .prefork ? "celery.concurrency.prefork:TaskPool"
                                                        : "celery.concurrency.thread:TaskPool"))
        // Celery's TaskPool.info reports the `limit` the pool was started with: after pool_grow
        // a Celery prefork worker lists one more process under the same max-concurrency.
        pool.add("max-concurrency", .int(Int64(settings.core.maxConcurrency)))
        let pids = prefork?.childPIDs() ?? []
        pool.add("processes", .array(pids.map { .int(Int64($0)) }))
        pool.add("max-tasks-per-child", core.config.maxTasksPerChild.map { .int(Int64($0)) } ?? .string("N/A"))
        pool.add("put-guarded-by-semaphore", .bool(false))
        pool.add("timeouts", .array([Self.wholeSeconds(options.softTimeLimit), Self.wholeSeconds(options.timeLimit)]))
        pool.add("writes", .object([
            "total": .int(Int64(processed)), "avg": .string("0.00"), "all": .string(""), "raw": .string(""),
            "strategy": .string("fair"),
            "inqueues": .object(["total": .int(Int64(core.poolSize)), "active": .int(Int64(core.runningCount))]),
        ]))
        return .object(pool)
    }

    private static func wholeSeconds(_ span: TimeSpan?) -> JSONValue {
        guard let span else { return .int(0) }
        let seconds = Double(span.microseconds) / 1_000_000
        return seconds == seconds.rounded() ? .int(Int64(seconds)) : .double(seconds)
    }

    /// Kombu's `Connection.info()` for the broker (password never shown).
    private func brokerInfo() -> JSONValue {
        let url = settings.brokerURL
        var host = "", port: JSONValue = .null
        switch url.endpoint {
        case .tcp(let name, let number): host = name; port = .int(Int64(number))
        case .unix(let path): host = path
        case .sentinel(let nodes):
            // Kombu reports the first URL of the `alt` list.
            host = nodes.first?.host ?? ""
            port = nodes.first.map { .int(Int64($0.port)) } ?? .null
        }
        var broker = JSONObject()
        broker.add("hostname", .string(host))
        broker.add("userid", url.username.map(JSONValue.string) ?? .null)
        broker.add("virtual_host", .string(String(url.database)))
        broker.add("port", port)
        broker.add("insist", .bool(false))
        broker.add("ssl", .bool(url.scheme == "rediss"))
        broker.add("transport", .string("redis"))
        broker.add("connect_timeout", .int(4))
        broker.add("transport_options", .object([:]))
        broker.add("login_method", .null)
        broker.add("uri_prefix", .null)
        broker.add("heartbeat", .double(120))
        broker.add("failover_strategy", .string("round-robin"))
        broker.add("alternates", .array([]))
        broker.add("credential_provider", .null)
        return .object(broker)
    }

    /// `resource.getrusage(RUSAGE_SELF)` as celery/worker/control.py's `stats` reports it.
    static func rusageValue() -> JSONValue {
        var usage = Glibc.rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ value: timeval) -> JSONValue { .double(Double(value.tv_sec) + Double(value.tv_usec) / 1_000_000) }
        let counts: [(String, Int)] = [
            ("maxrss", usage.ru_maxrss), ("ixrss", usage.ru_ixrss), ("idrss", usage.ru_idrss), ("isrss", usage.ru_isrss),
            ("minflt", usage.ru_minflt), ("majflt", usage.ru_majflt), ("nswap", usage.ru_nswap),
            ("inblock", usage.ru_inblock), ("oublock", usage.ru_oublock), ("msgsnd", usage.ru_msgsnd),
            ("msgrcv", usage.ru_msgrcv), ("nsignals", usage.ru_nsignals), ("nvcsw", usage.ru_nvcsw), ("nivcsw", usage.ru_nivcsw),
        ]
        var object = JSONObject()
        object.add("utime", seconds(usage.ru_utime))
        object.add("stime", seconds(usage.ru_stime))
        for (name, value) in counts { object.add(name, .int(Int64(value))) }
        return .object(object)
    }

    /// `active`, `reserved` (prefetched or waiting for a rate limit) and `scheduled` (held for eta).
    func heldInfo(_ places: Set<WorkerCore.HoldingPlace>) -> [JSONValue] {
        core.heldRequests().filter { places.contains($0.1) }.map { request, place in
            place == .waitingForETA ? scheduledInfo(request) : requestInfo(request, place: place)
        }
    }

    /// `query_task(ids)`: `{id: [state, info]}` for the ids this worker holds, in the order asked
    /// (unknown ids are absent, capture 06).
    func queryTaskValue(_ arguments: JSONObject) -> JSONValue {
        var ids: [String] = []
        switch arguments["ids"] {
        case .string(let id)?: ids = [id]
        case .array(let values)?: ids = values.compactMap(\.stringValue)
        default: break
        }
        let held = core.heldRequests()
        var result = JSONObject()
        for id in ids where result[id] == nil {
            guard let (request, place) = held.first(where: { $0.0.id == id }) else { continue }
            let state: String
            switch place {
            case .running: state = "active"
            case .waitingForETA: state = "scheduled"
            case .prefetched, .rateLimited: state = "reserved"
            }
            result.add(id, .array([.string(state), requestInfo(request, place: place)]))
        }
        return .object(result)
    }

    /// `registered(taskinfoitems)`: sorted names without Celery's own `celery.*` tasks, each with
    /// ` [item=value ...]` for the asked items that are set (control.py `_extract_info`).
    func registeredValue(_ arguments: JSONObject) -> JSONValue {
        // celery/worker/control.py: `taskinfoitems or DEFAULT_TASK_INFO_ITEMS` (exchange,
        // routing_key, rate_limit), so a rate limit shows in a plain `inspect registered`.
        let asked = arguments["taskinfoitems"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let items = asked.isEmpty ? ["exchange", "routing_key", "rate_limit"] : asked
        let names = registry.names.filter { !$0.hasPrefix("celery.") }.sorted()
        return .array(names.map { name in
            let options = currentOptions(for: name)
            var fields: [String] = []
            for item in items {
                switch item {
                case "rate_limit": if let rate = options.rateLimit { fields.append("rate_limit=\(rate.text)") }
                case "time_limit": if let limit = options.timeLimit { fields.append("time_limit=\(Self.pythonSeconds(limit))") }
                case "soft_time_limit":
                    if let limit = options.softTimeLimit { fields.append("soft_time_limit=\(Self.pythonSeconds(limit))") }
                case "acks_late": fields.append("acks_late=\(options.acksLate ? "True" : "False")")
                case "ignore_result": fields.append("ignore_result=\(options.ignoreResult ? "True" : "False")")
                case "max_retries":
                    fields.append("max_retries=\(options.retry.maxRetries.map(String.init) ?? "None")")
                default: break
                }
            }
            return .string(fields.isEmpty ? name : "\(name) [\(fields.joined(separator: " "))]")
        })
    }

    static func pythonSeconds(_ span: TimeSpan) -> String {
        let seconds = Double(span.microseconds) / 1_000_000
        return seconds == seconds.rounded() ? String(Int64(seconds)) : String(seconds)
    }

    /// `active_queues`: Kombu's `Queue.as_dict(recurse=True)` for each queue consumed (capture 10).
    func activeQueuesValue() -> JSONValue {
        .array(consumedQueues().map { name in
            var exchange = JSONObject()
            exchange.add("name", .string(name))
            exchange.add("type", .string("direct"))
            exchange.add("arguments", .null)
            exchange.add("durable", .bool(true))
            exchange.add("passive", .bool(false))
            exchange.add("auto_delete", .bool(false))
            exchange.add("delivery_mode", .null)
            exchange.add("no_declare", .bool(false))
            var queue = JSONObject()
            queue.add("name", .string(name))
            queue.add("exchange", .object(exchange))
            queue.add("routing_key", .string(name))
            for key in ["queue_arguments", "binding_arguments", "consumer_arguments"] { queue.add(key, .null) }
            queue.add("durable", .bool(true))
            queue.add("exclusive", .bool(false))
            queue.add("auto_delete", .bool(false))
            queue.add("no_ack", .bool(false))
            queue.add("alias", .null)
            queue.add("bindings", .array([]))
            for key in ["no_declare", "expires", "message_ttl", "max_length", "max_length_bytes", "max_priority"] {
                queue.add(key, .null)
            }
            return .object(queue)
        })
    }

    /// `conf(with_defaults=False)`: the settings this worker was given, as Celery names them, the
    /// broker password masked as Celery's `maybe_sanitize_url` does (capture 11).
    func confEntries() -> [(String, JSONValue)] {
        let config = core.config
        var entries: [(String, JSONValue)] = [("broker_url", .string(Self.maskedURL(settings.brokerURL)))]
        if settings.resultBackendURL != settings.brokerURL {
            entries.append(("result_backend", .string(Self.maskedURL(settings.resultBackendURL))))
        }
        entries.append(("deprecated_settings", .null))
        entries.append(("worker_concurrency", .int(Int64(config.concurrency))))
        entries.append(("task_acks_late", .bool(config.taskDefaults.acksLate)))
        entries.append(("worker_prefetch_multiplier", .int(Int64(config.prefetchMultiplier))))
        entries.append(("task_serializer", .string("json")))
        entries.append(("accept_content", .array([.string("json")])))
        entries.append(("worker_pool_restarts", .bool(settings.poolRestarts)))
        entries.append(("worker_send_task_events", .bool(settings.taskEvents)))
        entries.append(("task_queues", .array(config.queues.map(JSONValue.string))))
        entries.append(("include", .array([])))
        return entries
    }

    func confValue(_ arguments: JSONObject) -> JSONValue { .object(JSONObject(confEntries())) }

    /// `redis://:********@host:port/db` (celery.utils.text/kombu `maybe_sanitize_url`).
    static func maskedURL(_ url: RedisURL) -> String {
        guard url.password != nil else { return url.absoluteString }
        var endpoint = ""
        switch url.endpoint {
        case .tcp(let host, let port): endpoint = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): return "\(url.scheme)+socket://:********@\(path)"
        case .sentinel(let nodes):
            return nodes.map { node in
                let shown = node.host.contains(":") ? "[\(node.host)]:\(node.port)" : "\(node.host):\(node.port)"
                return "sentinel://\(url.username ?? ""):********@\(shown)/\(url.database)"
            }.joined(separator: ";")
        }
        return "\(url.scheme)://\(url.username ?? ""):********@\(endpoint)/\(url.database)"
    }

    /// `report`: celery/app/base.py `bugreport` in Lovage's terms (capture 12's layout).
    func reportText() -> String {
        var text = "\nsoftware -> lovage:\(EventDispatcher.software.version) (celery-compatible) swift\n"
        text += "platform -> system:Linux arch:64bit, ELF\n"
        text += "            imp:Swift\n"
        text += "loader   -> lovage\n"
        text += "settings -> transport:redis results:redis://\n\n"
        for (name, value) in confEntries() { text += "\(name): \(PythonRepr.repr(value))\n" }
        return text
    }

    /// `memsample`: the resident figure in celery/utils/debug.py's `humanbytes` form ("12.345MB").
    func memsampleValue() -> JSONValue {
        guard let sample = JemallocStats.sample() else { return .null }
        memorySamples.append(sample.residentBytes)
        if memorySamples.count > 10 { memorySamples.removeFirst(memorySamples.count - 10) }
        return .string(Self.humanbytes(sample.residentBytes))
    }

    /// `memdump(samples=10)`: celery/utils/debug.py's text, with jemalloc's resident bytes for rss.
    func memdumpValue() -> JSONValue {
        guard let sample = JemallocStats.sample() else { return .string("- rss: (jemalloc not available).\n") }
        var text = ""
        if !memorySamples.isEmpty {
            text += "- rss (sample):\n"
            for bytes in memorySamples { text += "-    > \(Self.humanbytes(bytes)),\n" }
        }
        memorySamples.removeAll()
        text += "- rss (end): \(Self.humanbytes(sample.residentBytes)).\n"
        return .string(text)
    }

    /// celery/utils/debug.py `humanbytes` with `hfloat(f, p=5)`: 5 significant digits.
    static func humanbytes(_ bytes: Int) -> String {
        let units: [(Int, String)] = [(1 << 40, "TB"), (1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB"), (0, "b")]
        for (divisor, unit) in units where bytes >= divisor {
            let value = divisor == 0 ? Double(bytes) : Double(bytes) / Double(divisor)
            if value == value.rounded() { return "\(Int(value))\(unit)" }
            var digits = String(format: "%.5g", value)
            if digits.contains("e") { digits = String(value) }
            return digits + unit
        }
        return "\(bytes)b"
    }
}
