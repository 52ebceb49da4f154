/// Celery's `task_routes` by task name or glob (celery/app/routes.py `MapRoute`: exact names first,
/// then glob patterns in order), deciding the queue a producer publishes to.
public struct TaskRouter: Sendable {
    public struct Rule: Sendable, Equatable {
        public var pattern: String
        public var queue: String
        public init(pattern: String, queue: String) { self.pattern = pattern; self.queue = queue }
    }

    public let rules: [Rule]
    public let defaultQueue: String

    public init(rules: [Rule], defaultQueue: String = "celery") {
        self.rules = rules
        self.defaultQueue = defaultQueue
    }

    /// The queue for a task: an explicit queue wins, then an exact rule, then the first matching
    /// glob, then `task_default_queue`.
    public func queue(forTask name: String, explicitQueue: String? = nil) -> String {
        if let explicitQueue { return explicitQueue }
        if let exact = rules.first(where: { $0.pattern == name }) { return exact.queue }
        if let glob = rules.first(where: { Glob.matches(pattern: $0.pattern, name) }) { return glob.queue }
        return defaultQueue
    }
}

/// fnmatch-style globbing (`*`, `?`, `[abc]`, `[!abc]`), as Python's `fnmatch` that Celery uses.
public enum Glob {
    public static func matches(pattern: String, _ text: String) -> Bool {
        matches(Array(pattern.unicodeScalars), 0, Array(text.unicodeScalars), 0)
    }

    private static func matches(_ p: [Unicode.Scalar], _ pi: Int, _ t: [Unicode.Scalar], _ ti: Int) -> Bool {
        var pi = pi, ti = ti
        var starP = -1, starT = -1
        while ti < t.count {
            if pi < p.count, p[pi] == "*" {
                starP = pi; starT = ti; pi += 1; continue
            }
            if pi < p.count, let (matched, next) = single(p, pi, t[ti]), matched {
                pi = next; ti += 1; continue
            }
            if starP >= 0 {
                pi = starP + 1; starT += 1; ti = starT; continue
            }
            return false
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Matches one pattern element (a literal, `?` or a bracket class) against one character.
    private static func single(_ p: [Unicode.Scalar], _ pi: Int, _ c: Unicode.Scalar) -> (Bool, Int)? {
        switch p[pi] {
        case "?": return (true, pi + 1)
        case "[":
            var i = pi + 1
            var negate = false
            if i < p.count, p[i] == "!" { negate = true; i += 1 }
            var found = false
            var first = true
            while i < p.count, p[i] != "]" || first {
                first = false
                if i + 2 < p.count, p[i + 1] == "-", p[i + 2] != "]" {
                    if p[i] <= c && c <= p[i + 2] { found = true }
                    i += 3
                } else {
                    if p[i] == c { found = true }
                    i += 1
                }
            }
            guard i < p.count else { return (p[pi] == c, pi + 1) }  // no closing ']': literal '['
            return (found != negate, i + 1)
        default:
            return (p[pi] == c, pi + 1)
        }
    }
}
