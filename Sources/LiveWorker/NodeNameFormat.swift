import Foundation

/// A worker's node name from its `-n/--hostname` template, as Celery 5.7's `Hostname` option
/// builds it: `host_format(default_nodename(value))` in `celery/utils/nodenames.py`.
///
/// Why it matters: deployments name nodes `worker@%h` (Dify's entrypoint does) and address them by
/// the container's host name (`lovage inspect ping -d worker@$HOSTNAME` in a healthcheck), so the
/// expansion must be Celery's, with the host name the kernel reports (`socket.gethostname()`).
public enum NodeNameFormat {
    /// A template Celery would refuse: an unknown `%x` abbreviation.
    public struct UnknownAbbreviation: Error, CustomStringConvertible, Equatable {
        public let abbreviation: Character
        public let template: String
        public init(abbreviation: Character, template: String) {
            self.abbreviation = abbreviation
            self.template = template
        }
        public var description: String {
            "unknown format %\(abbreviation) in node name '\(template)' (known: %h host name, %n its first label, %d its domain, %i, %I, %% a percent sign)"
        }
    }

    /// Expands `template` for the host `host`.
    ///
    /// - A template without `@` names the host only, and gets the default name: `foo` is
    ///   `<defaultName>@foo` (Celery's default name is `celery`; Lovage's worker passes `lovage`).
    /// - `%h` is the host name, `%n` its part before the first dot, `%d` the part after it (empty
    ///   without a dot), `%%` a percent sign. `%i` is the pool process index, which is `0` in the
    ///   main process, and `%I` the same with a `-` prefix, empty in the main process: a worker's
    ///   node name is formatted in its main process, so those are the values it gets.
    /// - Any other `%` followed by a letter, digit or underscore is refused, as Celery refuses it.
    ///   A `%` followed by anything else (or nothing) stays as it is, as in Celery.
    public static func expand(_ template: String, host: String, defaultName: String = "lovage") throws -> String {
        let withName: String
        if let at = template.lastIndex(of: "@") {
            let name = template[..<at], hostPart = template[template.index(after: at)...]
            withName = "\(name.isEmpty ? defaultName : String(name))@\(hostPart.isEmpty ? host : String(hostPart))"
        } else {
            withName = "\(defaultName)@\(template.isEmpty ? host : template)"
        }
        let shortName: Substring, domain: Substring
        if let dot = host.firstIndex(of: ".") {
            shortName = host[..<dot]
            domain = host[host.index(after: dot)...]
        } else {
            shortName = host[...]
            domain = ""
        }
        var result = ""
        var characters = withName.makeIterator()
        while let character = characters.next() {
            guard character == "%" else { result.append(character); continue }
            guard let key = characters.next() else { result.append("%"); break }
            switch key {
            case "h": result += host
            case "n": result += shortName
            case "d": result += domain
            case "i": result += "0"
            case "I": break
            case "%": result.append("%")
            default:
                if key.isLetter || key.isNumber || key == "_" {
                    throw UnknownAbbreviation(abbreviation: key, template: template)
                }
                result.append("%")
                result.append(key)
            }
        }
        return result
    }

    /// The host name the kernel reports (`gethostname(2)`), which is what Python's
    /// `socket.gethostname()` returns and what a container's `$HOSTNAME` holds. Foundation's
    /// `ProcessInfo.hostName` may instead return a resolver's canonical name.
    public static func systemHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return ProcessInfo.processInfo.hostName }
        let name = String(cString: buffer)
        return name.isEmpty ? ProcessInfo.processInfo.hostName : name
    }
}
