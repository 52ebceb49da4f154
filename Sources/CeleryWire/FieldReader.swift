/// Typed extraction of JSON field values with error messages that name the field.
///
/// Paths are passed as autoclosures so the happy path never builds a path string; only a failing
/// field pays for formatting "headers.retries: expected int, got string".
enum Field {
    static func string(_ v: JSONValue, _ path: @autoclosure () -> String) throws(WireError) -> String {
        if case .string(let s) = v { return s }
        throw WireError.wrongType(path(), expected: "string", got: v)
    }

    /// String or null.
    static func optString(_ v: JSONValue, _ path: @autoclosure () -> String) throws(WireError) -> String? {
        switch v {
        case .string(let s): return s
        case .null: return nil
        default: throw WireError.wrongType(path(), expected: "string or null", got: v)
        }
    }

    static func int(_ v: JSONValue, _ path: @autoclosure () -> String) throws(WireError) -> Int {
        if case .int(let i) = v { return Int(i) }
        throw WireError.wrongType(path(), expected: "int", got: v)
    }

    /// Int or null.
    static func optInt(_ v: JSONValue, _ path: @autoclosure () -> String) throws(WireError) -> Int? {
        switch v {
        case .int(let i): return Int(i)
        case .null: return nil
        default: throw WireError.wrongType(path(), expected: "int or null", got: v)
        }
    }

    /// Bool or null.
    static func optBool(_ v: JSONValue, _ path: @autoclosure () -> String) throws(WireError) -> Bool? {
        switch v {
        case .bool(let b): return b
        case .null: return nil
        default: throw WireError.wrongType(path(), expected: "bool or null", got: v)
        }
    }

    static func object(_ v: JSONValue, _ path: @autoclosure () -> String) throws(WireError) -> JSONObject {
        if case .object(let o) = v { return o }
        throw WireError.wrongType(path(), expected: "object", got: v)
    }

    /// Object or null.
    static func optObject(_ v: JSONValue, _ path: @autoclosure () -> String) throws(WireError) -> JSONObject? {
        switch v {
        case .object(let o): return o
        case .null: return nil
        default: throw WireError.wrongType(path(), expected: "object or null", got: v)
        }
    }

    static func array(_ v: JSONValue, _ path: @autoclosure () -> String) throws(WireError) -> [JSONValue] {
        if case .array(let a) = v { return a }
        throw WireError.wrongType(path(), expected: "array", got: v)
    }

    /// A number or null (time limits may be ints or floats).
    static func optNumber(_ v: JSONValue, _ path: @autoclosure () -> String) throws(WireError) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .null: return nil
        default: throw WireError.wrongType(path(), expected: "number or null", got: v)
        }
    }
}

extension Optional where Wrapped == String {
    /// JSON form of an optional string: the string or null.
    var json: JSONValue { map(JSONValue.string) ?? .null }
}
