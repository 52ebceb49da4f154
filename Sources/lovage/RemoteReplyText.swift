import CeleryWire

/// `celery inspect|control`'s text for one reply (celery/bin/base.py `CLIContext.pretty`,
/// celery/bin/control.py `_say_remote_command_reply`): `->  node: OK` then the value, lists one
/// `* <Python repr>` per line (`- empty -`), dicts as `json.dumps(sort_keys=True, indent=4)`,
/// `{"ok": x}` / `{"error": x}` as OK / ERROR with x indented once more, `None` for null.
enum RemoteReplyText {
    static func render(node: String, value: JSONValue) -> String {
        let (status, body) = pretty(value)
        return "->  \(node): \(status)\n" + indent(body, 4)
    }

    static func pretty(_ value: JSONValue) -> (String, String) {
        switch value {
        case .array(let items):
            return ("OK", items.isEmpty ? "- empty -" : items.map { "* " + itemText($0) }.joined(separator: "\n"))
        case .object(let object):
            if let ok = object["ok"] { return ("OK", indent(pretty(ok).1, 4)) }
            if let error = object["error"] { return ("ERROR", indent(pretty(error).1, 4)) }
            return ("OK", sortedIndented(value, level: 0))
        case .string(let text):
            return ("OK", text)
        default:
            return ("OK", PythonRepr.repr(value))
        }
    }

    /// A list item is printed with `str()`: a string as itself, anything else as its repr.
    private static func itemText(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return PythonRepr.repr(value)
    }

    /// celery.utils.text.indent: every `\n`-separated part (an empty last one too) gets the spaces.
    static func indent(_ text: String, _ spaces: Int) -> String {
        let pad = String(repeating: " ", count: spaces)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { pad + $0 }.joined(separator: "\n")
    }

    /// Python's `json.dumps(value, sort_keys=True, indent=4)`.
    static func sortedIndented(_ value: JSONValue, level: Int) -> String {
        let inner = String(repeating: " ", count: (level + 1) * 4)
        let outer = String(repeating: " ", count: level * 4)
        switch value {
        case .array(let items):
            guard !items.isEmpty else { return "[]" }
            return "[\n" + items.map { inner + sortedIndented($0, level: level + 1) }.joined(separator: ",\n") + "\n\(outer)]"
        case .object(let object):
            guard !object.isEmpty else { return "{}" }
            let pairs = object.sorted { $0.key < $1.key }.map {
                inner + JSONValue.string($0.key).serializedString() + ": " + sortedIndented($0.value, level: level + 1)
            }
            return "{\n" + pairs.joined(separator: ",\n") + "\n\(outer)}"
        default:
            return value.serializedString()
        }
    }
}
