/// Python `repr()` of JSON-shaped values, for the `argsrepr`/`kwargsrepr` headers Celery sends
/// (shown by Flower and in worker logs). Matches CPython for None/bools/ints/floats/str/list/dict;
/// Kombu-tagged values are shown as the dicts they are on the wire. Celery truncates very long
/// reprs (`argsrepr_maxsize`, 1024); this does not.
public enum PythonRepr {
    public static func repr(_ value: JSONValue) -> String {
        var out = ""
        write(value, to: &out)
        return out
    }

    /// `repr(tuple(args))` (what `apply_async` sends: `(2, 3)`, `(3,)`, `()`) or, with
    /// `asTuple: false`, `repr(list(args))` (what `send_task(args=[...])` sends: `[1]`).
    public static func args(_ args: [JSONValue], asTuple: Bool = true) -> String {
        var out = asTuple ? "(" : "["
        for (i, a) in args.enumerated() {
            if i > 0 { out += ", " }
            write(a, to: &out)
        }
        if asTuple && args.count == 1 { out += "," }
        out += asTuple ? ")" : "]"
        return out
    }

    /// `repr(dict(kwargs))`: `{'x': 4, 'y': 5}`.
    public static func kwargs(_ kwargs: JSONObject) -> String {
        repr(.object(kwargs))
    }

    static func write(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null: out += "None"
        case .bool(let b): out += b ? "True" : "False"
        case .int(let i): out += String(i)
        case .double(let d): out += PythonFloat.repr(d)
        case .string(let s): out += string(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                write(item, to: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (i, (key, v)) in object.enumerated() {
                if i > 0 { out += ", " }
                out += string(key)
                out += ": "
                write(v, to: &out)
            }
            out += "}"
        }
    }

    /// `repr(str)`: single quotes unless the text contains `'` and no `"`; printable non-ASCII kept.
    public static func string(_ s: String) -> String {
        // One pass over the bytes decides the quote and whether every byte is printable ASCII:
        // task results reach here with -E (a task-succeeded event's repr), kilobytes per task.
        var hasSingle = false, hasDouble = false, plainASCII = true
        for byte in s.utf8 {
            switch byte {
            case 0x27: hasSingle = true
            case 0x22: hasDouble = true
            case 0x5C: plainASCII = false
            case 0x20..<0x7F: break
            default: plainASCII = false
            }
        }
        let quote: Character = (hasSingle && !hasDouble) ? "\"" : "'"
        if plainASCII { return asciiRepr(s, quote: quote == "'" ? 0x27 : 0x22) }
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if isPrintable(scalar) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += escape(scalar.value)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// `repr` of printable ASCII without backslashes: the text in quotes, the quote escaped.
    private static func asciiRepr(_ s: String, quote: UInt8) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count + 2)
        bytes.append(quote)
        for byte in s.utf8 {
            if byte == quote { bytes.append(0x5C) }
            bytes.append(byte)
        }
        bytes.append(quote)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Python's `str.isprintable` per character: not a control, format, surrogate, private-use,
    /// unassigned or separator character (the ASCII space excepted).
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value >= 0x20 && scalar.value < 0x7F { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned,
             .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    private static func escape(_ v: UInt32) -> String {
        let hex = String(v, radix: 16)
        if v < 0x100 { return "\\x" + String(repeating: "0", count: 2 - hex.count) + hex }
        if v < 0x10000 { return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex }
        return "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
