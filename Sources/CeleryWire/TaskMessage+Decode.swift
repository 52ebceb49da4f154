extension TaskMessage {
    /// Decodes a Redis list item (the LPUSH value) into a task message.
    ///
    /// Order of checks: outer JSON → content type (pickle/YAML refused before the body is touched)
    /// → envelope → body `[args, kwargs, embed]` → headers → properties. `eta`/`expires` are
    /// validated here so a malformed timestamp is reported at decode time, naming the header.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> TaskMessage {
        try decode(json: try JSONValue.parse(bytes))
    }

    /// Decodes an already-parsed envelope (e.g. from an `UnackedEntry`).
    public static func decode(json: JSONValue) throws(WireError) -> TaskMessage {
        guard case .object(let outer) = json else {
            throw WireError.wrongType("message", expected: "a JSON object (Kombu envelope)", got: json)
        }
        // Refuse pickle/YAML before even base64-decoding their body.
        if case .string(let type)? = outer["content-type"] {
            let encoding = outer["content-encoding"]?.stringValue ?? ""
            try ContentTypePolicy.checkDecodable(contentType: type, contentEncoding: encoding)
        }
        return try TaskMessage(envelope: try KombuEnvelope.decode(json: json))
    }

    /// Interprets a Kombu envelope as a protocol v2 task message.
    public init(envelope: KombuEnvelope) throws(WireError) {
        let body = try envelope.jsonBody()
        guard case .array(let parts) = body, parts.count == 3 else {
            let got = body.typeName
            let hint = body.objectValue != nil ? " (protocol v1 bodies are not supported)" : ""
            throw WireError(.badBody, "body: expected a 3-element array [args, kwargs, embed], got \(got)\(hint)")
        }
        guard case .array(let args) = parts[0] else {
            throw WireError(.badBody, "body[0] (args): expected array, got \(parts[0].typeName)")
        }
        guard case .object(let kwargs) = parts[1] else {
            throw WireError(.badBody, "body[1] (kwargs): expected object, got \(parts[1].typeName)")
        }
        let embed = try TaskEmbed.decode(parts[2])

        let empty = KeyLayout(slots: [])
        var m = TaskMessage(task: "", id: "", args: args, kwargs: kwargs, headerLayout: empty, propertyLayout: empty)
        m.embed = embed
        m.contentType = envelope.contentType
        m.contentEncoding = envelope.contentEncoding
        m.extraEnvelopeFields = envelope.extraFields
        try m.readHeaders(envelope.headers)
        try m.readProperties(envelope.properties)
        self = m
    }

    /// Index of `key` in `names`, trying `names[expected]` first: Celery writes headers and properties
    /// in a fixed order, so the usual cost is one string comparison per key instead of a scan.
    @inline(__always)
    static func knownIndex(_ key: String, in names: [String], expected: inout Int) -> Int? {
        if expected < names.count && names[expected] == key {
            expected += 1
            return expected - 1
        }
        guard let n = names.firstIndex(of: key) else { return nil }
        expected = n + 1
        return n
    }

    private mutating func readHeaders(_ headers: JSONObject) throws(WireError) {
        var slots: [KeyLayout.Slot] = []
        slots.reserveCapacity(headers.count)
        var sawTask = false
        var sawID = false
        var expected = 0
        for (key, v) in headers {
            guard let n = Self.knownIndex(key, in: Self.headerNames, expected: &expected) else {
                extraHeaders.appendUnchecked(key, v)
                slots.append(.extra)
                continue
            }
            switch n {
            case 0: lang = try Field.optString(v, "headers.lang")
            case 1: task = try Field.string(v, "headers.task"); sawTask = true
            case 2: id = try Field.string(v, "headers.id"); sawID = true
            case 3: shadow = try Field.optString(v, "headers.shadow")
            case 4: eta = try Field.optString(v, "headers.eta")
            case 5: expires = try Field.optString(v, "headers.expires")
            case 6: group = try Field.optString(v, "headers.group")
            case 7: groupIndex = try Field.optInt(v, "headers.group_index")
            case 8: retries = try Field.optInt(v, "headers.retries") ?? 0
            case 9: timeLimit = try TimeLimit.decode(v)
            case 10: rootID = try Field.optString(v, "headers.root_id")
            case 11: parentID = try Field.optString(v, "headers.parent_id")
            case 12: argsrepr = try Field.optString(v, "headers.argsrepr")
            case 13: kwargsrepr = try Field.optString(v, "headers.kwargsrepr")
            case 14: origin = try Field.optString(v, "headers.origin")
            case 15: ignoreResult = try Field.optBool(v, "headers.ignore_result")
            case 16: replacedTaskNesting = try Field.optInt(v, "headers.replaced_task_nesting") ?? 0
            case 17: stampedHeaders = try Self.stringList(v, "headers.stamped_headers")
            case 18: stamps = try Field.optObject(v, "headers.stamps")
            default: redelivered = try Field.optBool(v, "headers.redelivered")
            }
            slots.append(.known(UInt8(n)))
        }
        guard sawID else { throw WireError.missing("headers.id") }
        guard sawTask else { throw WireError.missing("headers.task") }
        guard !id.isEmpty else { throw WireError(.badValue, "headers.id: empty string") }
        guard !task.isEmpty else { throw WireError(.badValue, "headers.task: empty string") }
        _ = try Self.parseTimestampHeader(eta, "headers.eta")
        _ = try Self.parseTimestampHeader(expires, "headers.expires")
        headerLayout = KeyLayout(slots: slots)
    }

    private mutating func readProperties(_ properties: JSONObject) throws(WireError) {
        var slots: [KeyLayout.Slot] = []
        slots.reserveCapacity(properties.count)
        var expected = 0
        for (key, v) in properties {
            guard let n = Self.knownIndex(key, in: Self.propertyNames, expected: &expected) else {
                extraProperties.appendUnchecked(key, v)
                slots.append(.extra)
                continue
            }
            switch n {
            case 0: correlationID = try Field.optString(v, "properties.correlation_id")
            case 1: replyTo = try Field.optString(v, "properties.reply_to")
            case 2: deliveryMode = try Field.optInt(v, "properties.delivery_mode")
            case 3: deliveryInfo = try DeliveryInfo.decode(v)
            case 4: priority = try Field.optInt(v, "properties.priority")
            case 5: bodyEncoding = try Field.optString(v, "properties.body_encoding")
            default: deliveryTag = try Field.optString(v, "properties.delivery_tag")
            }
            slots.append(.known(UInt8(n)))
        }
        propertyLayout = KeyLayout(slots: slots)
    }

    private static func stringList(_ v: JSONValue, _ path: String) throws(WireError) -> [String]? {
        switch v {
        case .null: return nil
        case .array(let items):
            var out: [String] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() { out.append(try Field.string(item, "\(path)[\(i)]")) }
            return out
        default:
            throw WireError.wrongType(path, expected: "array of strings or null", got: v)
        }
    }
}
