extension TaskMessage {
    /// Decodes a Redis list item (the LPUSH value) into a task message.
    ///
    /// Order of checks: outer JSON → content type (pickle/YAML refused before the body is touched)
    /// → envelope → body `[args, kwargs, embed]` → headers → properties. `eta`/`expires` are
    /// validated here so a malformed timestamp is reported at decode time, naming the header.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> TaskMessage {
        if let message = decodeDirect(bytes) { return message }
        return try decode(json: try JSONValue.parse(bytes))
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
        let (args, kwargs, embed) = try Self.bodyParts(try envelope.jsonBody())
        let empty = KeyLayout(slots: [])
        // Filled in place: building a local message and assigning `self = m` copied and destroyed
        // the whole struct once per message (about 2% of a prefork parent's CPU).
        self.init(task: "", id: "", args: args, kwargs: kwargs, headerLayout: empty, propertyLayout: empty)
        self.embed = embed
        contentType = envelope.contentType
        contentEncoding = envelope.contentEncoding
        extraEnvelopeFields = envelope.extraFields
        var headers = MemberReading(capacity: envelope.headers.count)
        for (key, value) in envelope.headers { try readHeader(key, value, &headers) }
        try finishHeaders(headers)
        var properties = MemberReading(capacity: envelope.properties.count)
        for (key, value) in envelope.properties { try readProperty(key, value, &properties) }
        propertyLayout = KeyLayout(slots: properties.slots)
    }

    /// The body's `[args, kwargs, embed]`, checked.
    static func bodyParts(_ body: JSONValue) throws(WireError) -> ([JSONValue], JSONObject, TaskEmbed) {
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
        return (args, kwargs, try TaskEmbed.decode(parts[2]))
    }

    /// What reading one object's members (headers or properties) has seen so far: the layout, the
    /// known fields read (a repeated one is refused: only the tree decoder, whose parser already
    /// merged repeats the way Python's json does, may see one), the expected next name.
    struct MemberReading {
        var slots: [KeyLayout.Slot] = []
        var seen: UInt32 = 0
        var expected = 0

        init(capacity: Int) { slots.reserveCapacity(capacity) }

        /// The number of the known field `key` names, or nil once an unknown key is kept in
        /// `extras`, in order.
        mutating func field(_ key: String, of names: [String], value: JSONValue,
                            extras: inout JSONObject) throws(WireError) -> Int? {
            if let n = TaskMessage.knownIndex(key, in: names, expected: &expected) { return n }
            guard extras.index(forKey: key) == nil else { throw WireError(.invalidJSON, "JSON: a repeated key") }
            extras.appendUnchecked(key, value)
            slots.append(.extra)
            return nil
        }

        /// Whether known field `n` was read.
        func saw(_ n: Int) -> Bool { seen & (UInt32(1) << UInt32(n)) != 0 }

        mutating func see(_ n: Int) throws(WireError) {
            let bit = UInt32(1) << UInt32(n)
            guard seen & bit == 0 else { throw WireError(.invalidJSON, "JSON: a repeated key") }
            seen |= bit
            slots.append(.known(UInt8(n)))
        }
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

    /// One header: a known one into its field, anything else kept in `extraHeaders` in order.
    mutating func readHeader(_ key: String, _ v: JSONValue, _ reading: inout MemberReading) throws(WireError) {
        guard let n = try reading.field(key, of: Self.headerNames, value: v, extras: &extraHeaders) else { return }
        switch n {
        case 0: lang = try Field.optString(v, "headers.lang")
        case 1: task = try Field.string(v, "headers.task")
        case 2: id = try Field.string(v, "headers.id")
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
        try reading.see(n)
    }

    /// After the last header: the ones a task cannot do without, and timestamps that parse.
    mutating func finishHeaders(_ reading: MemberReading) throws(WireError) {
        guard reading.saw(2) else { throw WireError.missing("headers.id") }      // headerNames[2]
        guard reading.saw(1) else { throw WireError.missing("headers.task") }    // headerNames[1]
        guard !id.isEmpty else { throw WireError(.badValue, "headers.id: empty string") }
        guard !task.isEmpty else { throw WireError(.badValue, "headers.task: empty string") }
        _ = try Self.parseTimestampHeader(eta, "headers.eta")
        _ = try Self.parseTimestampHeader(expires, "headers.expires")
        headerLayout = KeyLayout(slots: reading.slots)
    }

    /// One property: a known one into its field, anything else kept in `extraProperties` in order.
    mutating func readProperty(_ key: String, _ v: JSONValue, _ reading: inout MemberReading) throws(WireError) {
        guard let n = try reading.field(key, of: Self.propertyNames, value: v, extras: &extraProperties) else { return }
        switch n {
        case 0: correlationID = try Field.optString(v, "properties.correlation_id")
        case 1: replyTo = try Field.optString(v, "properties.reply_to")
        case 2: deliveryMode = try Field.optInt(v, "properties.delivery_mode")
        case 3: deliveryInfo = try DeliveryInfo.decode(v)
        case 4: priority = try Field.optInt(v, "properties.priority")
        case 5: bodyEncoding = try Field.optString(v, "properties.body_encoding")
        default: deliveryTag = try Field.optString(v, "properties.delivery_tag")
        }
        try reading.see(n)
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
