extension TaskMessage {
    /// Decodes a Kombu envelope's bytes straight into a message, without building the JSON tree of
    /// the envelope, its headers and its properties: building that tree and taking it apart again
    /// were about a third of a worker's instructions per task.
    ///
    /// Only the well-formed common case is taken this way: exactly the five envelope keys, none
    /// repeated, JSON in UTF-8, a valid task. Anything else returns nil and goes through the tree
    /// (`decode(json:)`), which words every error; the rules for each header and property are the
    /// tree decoder's own (`readHeader`, `readProperty`), so both ways give the same message.
    public static func decodeDirect(_ bytes: [UInt8]) -> TaskMessage? {
        bytes.withUnsafeBufferPointer { buffer in try? decodeDirect(buffer) }
    }

    private static func decodeDirect(_ buffer: UnsafeBufferPointer<UInt8>) throws(WireError) -> TaskMessage {
        let notCommon = WireError(.invalidJSON, "not the common case: decode through the tree")
        let empty = KeyLayout(slots: [])
        var message = TaskMessage(task: "", id: "", args: [], kwargs: [:], headerLayout: empty, propertyLayout: empty)
        var body: String?
        var contentType: String?
        var contentEncoding: String?
        var headers: MemberReading?
        var properties: MemberReading?
        var parser = JSONParser(buffer)
        try parser.readObject { parser, key, _ throws(WireError) in
            switch key {
            case "body" where body == nil:
                body = try Field.string(try parser.parseValue(), "body")
            case "content-encoding" where contentEncoding == nil:
                contentEncoding = try Field.string(try parser.parseValue(), "content-encoding")
            case "content-type" where contentType == nil:
                contentType = try Field.string(try parser.parseValue(), "content-type")
            case "headers" where headers == nil:
                var reading = MemberReading(capacity: canonicalHeaderCount)
                try parser.readObject { parser, key, _ throws(WireError) in
                    try message.readHeader(key, try parser.parseValue(), &reading)
                }
                headers = reading
            case "properties" where properties == nil:
                var reading = MemberReading(capacity: propertyNames.count)
                try parser.readObject { parser, key, _ throws(WireError) in
                    try message.readProperty(key, try parser.parseValue(), &reading)
                }
                properties = reading
            default:
                throw notCommon
            }
        }
        try parser.finishDocument()
        guard let body, let contentType, let contentEncoding, let headers, let properties,
              contentType == ContentTypePolicy.json, contentEncoding == "utf-8" else { throw notCommon }
        let bodyBytes: [UInt8]
        switch message.bodyEncoding {
        case nil: bodyBytes = Array(body.utf8)
        case "base64": bodyBytes = try Base64.decode(body, path: "body")
        default: throw notCommon
        }
        (message.args, message.kwargs, message.embed) = try bodyParts(try JSONValue.parse(bodyBytes))
        message.contentType = contentType
        message.contentEncoding = contentEncoding
        try message.finishHeaders(headers)
        message.propertyLayout = KeyLayout(slots: properties.slots)
        return message
    }
}
