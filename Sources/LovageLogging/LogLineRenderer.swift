#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Turns a `LogRecord` into one line (with its newline) in a `LogFormat`.
///
/// Celery's format is the one `lovage` wrote by hand before swift-log, byte for byte:
/// `[YYYY-MM-DD HH:MM:SS,mmm: LEVEL/ProcessName] message`, UTC, rounded to the nearest millisecond
/// (as the DateFormatter it replaces rounded; Python's logging truncates, a difference of under 1 ms),
/// and the message trimmed of spaces and tabs at both ends, as that line always was (so the beat's
/// indented banner lines read `. broker -> ...`). Metadata,
/// which Celery's lines have no place for, follows the message as sorted ` key=value` pairs.
/// JSON lines carry `time` (ISO 8601, UTC, milliseconds), `level`, `logger` (the label),
/// `message`, `metadata` (an object, keys sorted), `pid` and `process`, keys in that order.
public enum LogLineRenderer {
    public static func render(_ record: LogRecord, format: LogFormat) -> String {
        switch format {
        case .celery: return celery(record)
        case .json: return json(record)
        case .plain: return record.message + metadataSuffix(record.metadata) + "\n"
        }
    }

    static func celery(_ record: LogRecord) -> String {
        let t = UTCTime(micros: record.timeMicros)
        let stamp = "\(t.year)-\(pad(t.month))-\(pad(t.day)) \(pad(t.hour)):\(pad(t.minute)):\(pad(t.second)),\(pad(t.millisecond, 3))"
        let message = record.message.trimmingCharacters(inSet: " \t")
        return "[\(stamp): \(LogLevelName.name(of: record.level))/\(record.processName)] \(message)\(metadataSuffix(record.metadata))\n"
    }

    static func json(_ record: LogRecord) -> String {
        let t = UTCTime(micros: record.timeMicros)
        let time = "\(t.year)-\(pad(t.month))-\(pad(t.day))T\(pad(t.hour)):\(pad(t.minute)):\(pad(t.second)).\(pad(t.millisecond, 3))Z"
        var line = "{\"time\":\"\(time)\",\"level\":\"\(LogLevelName.name(of: record.level))\""
        line += ",\"logger\":" + JSONText.string(record.label)
        line += ",\"message\":" + JSONText.string(record.message)
        line += ",\"metadata\":" + JSONText.object(record.metadata)
        line += ",\"pid\":\(record.pid),\"process\":" + JSONText.string(record.processName) + "}\n"
        return line
    }

    /// ` key=value key2=value2`, keys sorted (Dictionary order must not reach a line).
    static func metadataSuffix(_ metadata: Logger.Metadata) -> String {
        guard !metadata.isEmpty else { return "" }
        return metadata.keys.sorted().map { " \($0)=\(metadata[$0]!)" }.joined()
    }

    static func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// A UTC calendar time to the nearest millisecond (a half rounds up, into the next second if need be).
struct UTCTime {
    var year, month, day, hour, minute, second, millisecond: Int

    init(micros: Int64) {
        let (quotient, rest) = (micros + 500).quotientAndRemainder(dividingBy: 1000)
        let millis = rest < 0 ? quotient - 1 : quotient
        var seconds = millis / 1000
        var remainder = millis % 1000
        if remainder < 0 { seconds -= 1; remainder += 1000 }
        var wall = time_t(seconds)
        var parts = tm()
        gmtime_r(&wall, &parts)
        year = Int(parts.tm_year) + 1900
        month = Int(parts.tm_mon) + 1
        day = Int(parts.tm_mday)
        hour = Int(parts.tm_hour)
        minute = Int(parts.tm_min)
        second = Int(parts.tm_sec)
        millisecond = Int(remainder)
    }
}

/// The little JSON the lines need, written by hand: strings, and metadata as nested values.
enum JSONText {
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func object(_ metadata: Logger.Metadata) -> String {
        "{" + metadata.keys.sorted().map { string($0) + ":" + value(metadata[$0]!) }.joined(separator: ",") + "}"
    }

    static func value(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): return string(text)
        case .stringConvertible(let convertible): return string(convertible.description)
        case .array(let values): return "[" + values.map(Self.value).joined(separator: ",") + "]"
        case .dictionary(let metadata): return object(metadata)
        }
    }
}
