extension TaskMessage {
    /// Builds the message Celery 5's `apply_async`/`send_task` would publish: every header present
    /// with Celery's defaults (lang "py", root_id = id, timelimit [null, null], stamps {}, ...),
    /// `argsrepr`/`kwargsrepr` as Python reprs, and Kombu's Redis properties (correlation_id = id,
    /// delivery_mode 2, delivery_info {exchange, routing_key: queue}, priority, body_encoding base64,
    /// delivery_tag). Times are microseconds since the epoch (UTC).
    ///
    /// - Parameters:
    ///   - argsAsTuple: `apply_async` reprs args as a tuple `(2, 3)`, `send_task` as a list `[2, 3]`.
    ///   - ignoreResult: `apply_async` sends the task's setting (false by default); `send_task`
    ///     sends null unless `ignore_result=` is passed — use nil for that.
    ///   - expirationMillis: Kombu's `properties.expiration` (Celery sets it to the time left until
    ///     `expires`, in milliseconds, as a string); nil omits it.
    public static func make(
        task: String, id: String, args: [JSONValue] = [], kwargs: JSONObject = [:],
        queue: String = "celery", exchange: String = "", priority: Int = 0, deliveryTag: String,
        replyTo: String? = nil, origin: String? = nil,
        eta: Int64? = nil, expires: Int64? = nil, expirationMillis: Int64? = nil,
        timeLimit: TimeLimit = .unlimited, shadow: String? = nil,
        group: String? = nil, groupIndex: Int? = nil, rootID: String? = nil, parentID: String? = nil,
        retries: Int = 0, ignoreResult: Bool? = false, argsAsTuple: Bool = true,
        embed: TaskEmbed = TaskEmbed(), extraHeaders: JSONObject = [:]
    ) -> TaskMessage {
        var m = TaskMessage(task: task, id: id, args: args, kwargs: kwargs)
        m.shadow = shadow
        m.eta = eta.map(CeleryTimestamp.format)
        m.expires = expires.map(CeleryTimestamp.format)
        m.group = group
        m.groupIndex = groupIndex
        m.retries = retries
        m.timeLimit = timeLimit
        m.rootID = rootID ?? id
        m.parentID = parentID
        m.argsrepr = PythonRepr.args(args, asTuple: argsAsTuple)
        m.kwargsrepr = PythonRepr.kwargs(kwargs)
        m.origin = origin
        m.ignoreResult = ignoreResult
        m.stamps = [:]
        m.extraHeaders = extraHeaders
        m.embed = embed

        m.correlationID = id
        m.replyTo = replyTo
        m.deliveryMode = 2
        m.deliveryInfo = DeliveryInfo(exchange: exchange, routingKey: queue)
        m.priority = priority
        m.bodyEncoding = "base64"
        m.deliveryTag = deliveryTag
        if let expirationMillis {
            // Kombu writes "expiration" right after delivery_mode (capture 06).
            m.setExtraProperty("expiration", .string(String(expirationMillis)), afterKnown: 2)
        }
        return m
    }

    /// The message Celery's worker publishes for `self.retry(...)`, for the attempt the worker
    /// decided (its `retries` and `eta`; WorkerCore's `TaskRequest.retried` works them out): same id
    /// and root_id, `parent_id` = this task's id, a fresh delivery tag, and `properties.origin`
    /// (written right after reply_to, as the worker does) — `origin` defaults to the `origin`
    /// header. Redelivery flags are dropped: the retry is a new message.
    public func nextAttempt(retries: Int, eta: Int64?, deliveryTag: String, origin: String? = nil) -> TaskMessage {
        var m = self
        m.retries = retries
        m.eta = eta.map(CeleryTimestamp.format)
        m.parentID = id
        m.rootID = rootID ?? id
        m.deliveryTag = deliveryTag
        m.redelivered = nil
        m.deliveryInfo?.redelivered = nil
        if let o = origin ?? self.origin {
            m.setExtraProperty("origin", .string(o), afterKnown: 1)
        }
        return m
    }

    /// Sets an unknown property, replacing it in place if present, else inserting it right after
    /// known property number `afterKnown` so the bytes match Kombu's order.
    mutating func setExtraProperty(_ key: String, _ value: JSONValue, afterKnown: Int) {
        if extraProperties.index(forKey: key) != nil {
            extraProperties.set(value, forKey: key)
            return
        }
        let at = propertyLayout.insertExtra(afterKnown: afterKnown)
        extraProperties.insert(value, forKey: key, at: at)
    }
}
