import Foundation

/// `Data` entry points, kept in this one file so the rest of CeleryWire is pure Swift standard
/// library (Foundation-free callers can drop this file; everything else takes `[UInt8]`).
extension JSONValue {
    public static func parse(_ data: Data) throws(WireError) -> JSONValue {
        let result = data.withUnsafeBytes { raw in
            Result<JSONValue, WireError> { () throws(WireError) -> JSONValue in
                try parse(raw.bindMemory(to: UInt8.self))
            }
        }
        return try result.get()
    }
}

extension KombuEnvelope {
    public static func decode(_ data: Data) throws(WireError) -> KombuEnvelope {
        try decode(json: try JSONValue.parse(data))
    }
}

extension TaskMessage {
    public static func decode(_ data: Data) throws(WireError) -> TaskMessage {
        try decode(json: try JSONValue.parse(data))
    }
}

extension UnackedEntry {
    public static func decode(_ data: Data) throws(WireError) -> UnackedEntry {
        try decode(json: try JSONValue.parse(data))
    }
}

extension ResultDocument {
    public static func decode(_ data: Data) throws(WireError) -> ResultDocument {
        try decode(json: try JSONValue.parse(data))
    }
}
