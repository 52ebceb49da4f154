/// Kombu's tagged JSON types: `{"__type__": tag, "__value__": v}` objects that Kombu's JSON
/// serializer writes for Python values JSON cannot express (capture 21).
///
/// Kombu decodes such an object only when its keys are exactly `__type__` and `__value__`, and fails
/// the whole message on an unknown tag; `decode` follows both rules. Values keep enough of the
/// original text that `encode` reproduces the wire form.
public enum KombuTaggedValue: Sendable, Equatable {
    /// `datetime.isoformat()`; `micros` is UTC microseconds since the epoch (naive = UTC).
    case datetime(micros: Int64, original: String)
    /// `date.isoformat()`, e.g. "2026-01-02".
    case date(String)
    /// `time.isoformat()`, e.g. "03:04:05.000001".
    case time(String)
    /// Canonical lowercase 8-4-4-4-12 form (the wire carries `{"hex": 32 hex digits}`).
    case uuid(String)
    /// `str(Decimal)`, kept as text so no precision is lost.
    case decimal(String)
    /// `bytes`: on the wire as the UTF-8 text (`"bytes"` tag) or base64 (`"base64"` tag) when the
    /// bytes are not valid UTF-8; `encode` picks the tag the same way Kombu does.
    case bytes([UInt8])

    /// The typed value if `json` is a tagged object, nil if it is ordinary JSON.
    /// Throws for an unknown tag or a malformed value (Kombu would refuse the message too).
    public static func decode(_ json: JSONValue, path: String = "value") throws(WireError) -> KombuTaggedValue? {
        guard case .object(let o) = json, o.count == 2,
              let tagValue = o["__type__"], let value = o["__value__"] else { return nil }
        guard case .string(let tag) = tagValue else {
            throw WireError.wrongType("\(path).__type__", expected: "string", got: tagValue)
        }
        let valuePath = "\(path).__value__"
        switch tag {
        case "datetime":
            let s = try Field.string(value, valuePath)
            do {
                return .datetime(micros: try CeleryTimestamp.parse(s), original: s)
            } catch {
                throw error.prefixed(valuePath)
            }
        case "date":
            let s = try Field.string(value, valuePath)
            guard s.utf8.count == 10, (try? CeleryTimestamp.parse(s)) != nil else {
                throw WireError(.badTimestamp, "\(valuePath): malformed date \(CeleryTimestamp.quoted(s))")
            }
            return .date(s)
        case "time":
            return .time(try Field.string(value, valuePath))
        case "decimal":
            return .decimal(try Field.string(value, valuePath))
        case "uuid":
            let hexValue = try Field.object(value, valuePath)["hex"] ?? .null
            let hex = try Field.string(hexValue, "\(valuePath).hex")
            guard let canonical = canonicalUUID(hex) else {
                throw WireError(.badValue, "\(valuePath).hex: not a UUID \(CeleryTimestamp.quoted(hex))")
            }
            return .uuid(canonical)
        case "bytes":
            return .bytes(Array(try Field.string(value, valuePath).utf8))
        case "base64":
            return .bytes(try Base64.decode(try Field.string(value, valuePath), path: valuePath))
        default:
            throw WireError(.badValue, "\(path).__type__: unsupported Kombu type tag '\(tag)'")
        }
    }

    /// The tagged JSON object Kombu would write for this value.
    public func encode() -> JSONValue {
        let (tag, value): (String, JSONValue)
        switch self {
        case .datetime(_, let original): (tag, value) = ("datetime", .string(original))
        case .date(let s): (tag, value) = ("date", .string(s))
        case .time(let s): (tag, value) = ("time", .string(s))
        case .decimal(let s): (tag, value) = ("decimal", .string(s))
        case .uuid(let s):
            (tag, value) = ("uuid", .object(["hex": .string(s.filter { $0 != "-" })]))
        case .bytes(let b):
            if let text = String(validating: b, as: UTF8.self) {
                (tag, value) = ("bytes", .string(text))
            } else {
                (tag, value) = ("base64", .string(Base64.encode(b)))
            }
        }
        return .object(["__type__": .string(tag), "__value__": value])
    }

    /// A datetime value built from microseconds, written the way Celery writes timestamps.
    public static func datetime(micros: Int64) -> KombuTaggedValue {
        .datetime(micros: micros, original: CeleryTimestamp.format(micros))
    }

    /// Accepts what Python's `uuid.UUID(hex=...)` accepts: 32 hex digits, optionally with hyphens,
    /// braces or a `urn:uuid:` prefix. Returns the lowercase 8-4-4-4-12 form.
    static func canonicalUUID(_ text: String) -> String? {
        var s = Substring(text)
        if s.hasPrefix("urn:uuid:") { s = s.dropFirst(9) }
        var digits: [UInt8] = []
        digits.reserveCapacity(32)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "-"): continue
            case 0x30...0x39, 0x61...0x66: digits.append(b)
            case 0x41...0x46: digits.append(b + 0x20)
            default: return nil
            }
        }
        guard digits.count == 32 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, d) in digits.enumerated() {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            out.append(d)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
