/// Which message bodies this module will decode.
///
/// Only JSON in UTF-8 is decoded. Pickle and YAML are *refused* (not merely unsupported): loading
/// them can run arbitrary code, so a refused body is never looked at, whatever it contains. This
/// mirrors Celery's `accept_content=['json']` and keeps the decision in one place.
public enum ContentTypePolicy {
    public static let json = "application/json"
    public static let pickle = "application/x-python-serialize"
    public static let yamlTypes: Set<String> = ["application/x-yaml", "application/yaml", "text/yaml", "text/x-yaml"]

    /// The media type lowercased without parameters ("Application/JSON; charset=utf-8" → "application/json").
    public static func essence(_ contentType: String) -> String {
        let base = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return base.trimmingASCIIWhitespace().lowercased()
    }

    /// Throws unless `contentType`/`contentEncoding` describe a JSON body we may decode.
    public static func checkDecodable(contentType: String, contentEncoding: String) throws(WireError) {
        if contentType == json && contentEncoding == "utf-8" { return }  // what Celery always sends
        let type = essence(contentType)
        if type == pickle {
            throw WireError(.refusedContentType, "content-type: refused: pickle is never decoded (\(contentType))")
        }
        if yamlTypes.contains(type) {
            throw WireError(.refusedContentType, "content-type: refused: yaml is never decoded (\(contentType))")
        }
        guard type == json else {
            throw WireError(.unsupportedContentType, "content-type: unsupported '\(contentType)' (only application/json is decoded)")
        }
        switch contentEncoding.trimmingASCIIWhitespace().lowercased() {
        case "utf-8", "utf8": return
        default:
            throw WireError(.unsupportedContentEncoding, "content-encoding: unsupported '\(contentEncoding)' for application/json (expected utf-8)")
        }
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
