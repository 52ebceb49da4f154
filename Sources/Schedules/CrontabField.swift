/// One field of a crontab schedule (`minute`, `hour`, `day_of_week`, `day_of_month`,
/// `month_of_year`) expanded to the values it matches, as Celery's `crontab_parser` does
/// (celery/schedules.py): comma-separated parts, each `*`, `N`, `A-B` (a range that wraps past
/// the field's end when B < A, `fri-mon`), and any of these with `/STEP`, which keeps every
/// STEP-th value of the expansion. Numbers may be written as weekday or month names (their first
/// three letters, any case), in any field, as Celery allows.
///
/// Unlike Celery, text after a valid part is refused rather than ignored (Celery's `re.match`
/// reads `*/5-3` as `*/5`), and a step of 0 is refused by name rather than as Python's
/// "slice step cannot be zero".
public struct CrontabField: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case minute, hour, dayOfWeek = "day_of_week", dayOfMonth = "day_of_month", monthOfYear = "month_of_year"

        /// Celery's `crontab_parser(max_, min_)` for the field: values run from min to min + max − 1.
        public var bounds: (min: Int, count: Int) {
            switch self {
            case .minute: return (0, 60)
            case .hour: return (0, 24)
            case .dayOfWeek: return (0, 7)
            case .dayOfMonth: return (1, 31)
            case .monthOfYear: return (1, 12)
            }
        }
    }

    public let kind: Kind
    /// The values it matches, ascending and distinct.
    public let values: [Int]

    static let weekdays = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
    static let months = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
                         "sep": 9, "oct": 10, "nov": 11, "dec": 12]

    public init(_ spec: String, kind: Kind) throws(CrontabError) {
        self.kind = kind
        var matched = Set<Int>()
        for part in spec.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let text = part.trimmingSpaces
            guard !text.isEmpty else { throw CrontabError(kind, spec, "an empty part (two commas, or a comma at an end)") }
            matched.formUnion(try Self.expand(text, kind: kind, spec: spec))
        }
        values = matched.sorted()
    }

    static func expand(_ part: String, kind: Kind, spec: String) throws(CrontabError) -> [Int] {
        var body = Substring(part)
        var step: Int?
        if let slash = part.firstIndex(of: "/") {
            body = part[..<slash]
            let stepText = part[part.index(after: slash)...]
            guard !stepText.isEmpty else { throw CrontabError(kind, spec, "\"\(part)\" has an empty step after /") }
            guard let value = Int(stepText), stepText.allSatisfy(\.isNumber) else {
                throw CrontabError(kind, spec, "\"\(part)\": the step \"\(stepText)\" is not a whole number")
            }
            guard value > 0 else { throw CrontabError(kind, spec, "\"\(part)\": a step of 0 matches nothing; use 1 or more") }
            step = value
        }
        let (low, count) = kind.bounds
        var expanded: [Int]
        if body == "*" {
            expanded = Array(low..<(low + count))
        } else if let dash = body.dropFirst().firstIndex(of: "-") {
            let from = try number(String(body[..<dash]), kind: kind, spec: spec)
            let to = try number(String(body[body.index(after: dash)...]), kind: kind, spec: spec)
            // celery/schedules.py `_expand_range`: a range whose end is before its start wraps.
            expanded = to < from ? Array(from..<(low + count)) + Array(low...to) : Array(from...to)
        } else {
            guard step == nil else {
                throw CrontabError(kind, spec, "\"\(part)\": a step needs * or a range before it (\"*/\(step!)\" or \"0-30/\(step!)\")")
            }
            expanded = [try number(String(body), kind: kind, spec: spec)]
        }
        if let step { expanded = stride(from: 0, to: expanded.count, by: step).map { expanded[$0] } }
        return expanded
    }

    static func number(_ text: String, kind: Kind, spec: String) throws(CrontabError) -> Int {
        guard !text.isEmpty else { throw CrontabError(kind, spec, "a range with a missing end") }
        if text.hasPrefix("-") { throw CrontabError(kind, spec, "negative numbers are not allowed (\"\(text)\")") }
        let (low, count) = kind.bounds
        let value: Int
        if text.allSatisfy(\.isNumber), let number = Int(text) {
            value = number
        } else if let name = months[String(text.lowercased().prefix(3))] ?? weekdays[String(text.lowercased().prefix(3))],
                  text.allSatisfy(\.isLetter) {
            value = name
        } else {
            throw CrontabError(kind, spec, "\"\(text)\" is not a number, a weekday (sun…sat) or a month (jan…dec)")
        }
        guard value >= low else { throw CrontabError(kind, spec, "\(value) is below \(low), the field's first value") }
        guard value <= low + count - 1 else {
            throw CrontabError(kind, spec, "\(value) is past \(low + count - 1), the field's last value")
        }
        return value
    }
}

/// A crontab field that cannot be read: which field, what was written, and why.
public struct CrontabError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: CrontabField.Kind
    public let spec: String
    public let reason: String
    init(_ field: CrontabField.Kind, _ spec: String, _ reason: String) { self.field = field; self.spec = spec; self.reason = reason }
    public var description: String { "\(field.rawValue) \"\(spec)\": \(reason)" }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
