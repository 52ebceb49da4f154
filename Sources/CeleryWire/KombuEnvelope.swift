/// The outer JSON document Kombu's Redis transport stores as a list item (and PUBLISHes for events
/// and pidbox broadcasts): `{"body", "content-encoding", "content-type", "headers", "properties"}`.
///
/// This layer knows nothing about Celery tasks; it only undoes Kombu's transport encoding, so it
/// also carries event, pidbox and even refused (pickle) messages, e.g. to move them aside untouched.
/// `body` holds the payload bytes after `properties.body_encoding` is undone (base64 for every
/// Kombu-published message; without a body_encoding the body string's UTF-8 bytes).
public struct KombuEnvelope: Sendable, Equatable {
    public var body: [UInt8]
    public var contentType: String
    public var contentEncoding: String
    public var headers: JSONObject
    public var properties: JSONObject
    /// Unknown top-level keys, kept in order and written after the standard five.
    public var extraFields: JSONObject

    public init(body: [UInt8], contentType: String = ContentTypePolicy.json, contentEncoding: String = "utf-8",
                headers: JSONObject = [:], properties: JSONObject = [:], extraFields: JSONObject = [:]) {
        self.body = body
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.properties = properties
        self.extraFields = extraFields
    }

    /// `properties.body_encoding` ("base64" for Kombu), nil when absent or null.
    public var bodyEncoding: String? { properties["body_encoding"]?.stringValue }

    /// `properties.delivery_tag`: the key of this message in Kombu's `unacked` hash.
    public var deliveryTag: String? { properties["delivery_tag"]?.stringValue }

    // MARK: Decoding

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> KombuEnvelope {
        try decode(json: try JSONValue.parse(bytes))
    }

    /// Decodes an already-parsed envelope (e.g. the first element of an `unacked` triple).
    public static func decode(json: JSONValue, path: String = "message") throws(WireError) -> KombuEnvelope {
        guard case .object(let object) = json else {
            throw WireError.wrongType(path, expected: "a JSON object (Kombu envelope)", got: json)
        }
        var bodyValue: JSONValue?
        var contentType: String?
        var contentEncoding: String?
        var headers: JSONObject?
        var properties: JSONObject?
        var extra = JSONObject()
        for (key, value) in object {
            switch key {
            case "body": bodyValue = value
            case "content-encoding": contentEncoding = try Field.string(value, "content-encoding")
            case "content-type": contentType = try Field.string(value, "content-type")
            case "headers": headers = try Field.object(value, "headers")
            case "properties": properties = try Field.object(value, "properties")
            default: extra.appendUnchecked(key, value)
            }
        }
        guard let bodyValue else { throw WireError.missing("body") }
        guard let contentType else { throw WireError.missing("content-type") }
        guard let contentEncoding else { throw WireError.missing("content-encoding") }
        guard let headers else { throw WireError.missing("headers") }
        guard let properties else { throw WireError.missing("properties") }

        let bodyText = try Field.string(bodyValue, "body")
        let body: [UInt8]
        switch properties["body_encoding"] {
        case nil, .null?:
            body = Array(bodyText.utf8)
        case .string("base64")?:
            body = try Base64.decode(bodyText, path: "body")
        case let other?:
            if case .string(let name) = other {
                throw WireError(.unsupportedBodyEncoding, "properties.body_encoding: unsupported '\(name)' (Kombu only uses base64)")
            }
            throw WireError.wrongType("properties.body_encoding", expected: "string or null", got: other)
        }
        return KombuEnvelope(body: body, contentType: contentType, contentEncoding: contentEncoding,
                             headers: headers, properties: properties, extraFields: extra)
    }

    /// The body parsed as JSON, after the content-type policy: pickle/YAML are refused without
    /// looking at the bytes, anything else but UTF-8 JSON is unsupported.
    public func jsonBody() throws(WireError) -> JSONValue {
        try ContentTypePolicy.checkDecodable(contentType: contentType, contentEncoding: contentEncoding)
        do {
            return try JSONValue.parse(body)
        } catch {
            throw error.prefixed("body")
        }
    }

    // MARK: Encoding

    /// The envelope as a JSON object in Kombu's key order.
    public func jsonValue() -> JSONValue {
        var object = JSONObject()
        object.reserveCapacity(5 + extraFields.count)
        let bodyText: String
        if bodyEncoding == "base64" {
            bodyText = Base64.encode(body)
        } else {
            // Without base64 Kombu stores the body text itself; invalid UTF-8 cannot be represented
            // and is replaced (U+FFFD) rather than trapping.
            bodyText = String(decoding: body, as: UTF8.self)
        }
        object.appendUnchecked("body", .string(bodyText))
        object.appendUnchecked("content-encoding", .string(contentEncoding))
        object.appendUnchecked("content-type", .string(contentType))
        object.appendUnchecked("headers", .object(headers))
        object.appendUnchecked("properties", .object(properties))
        for (key, value) in extraFields where object.index(forKey: key) == nil {
            object.appendUnchecked(key, value)
        }
        return .object(object)
    }

    /// The bytes to LPUSH/PUBLISH, identical to what Kombu writes for the same content.
    public func encode() -> [UInt8] {
        jsonValue().serialized()
    }
}
