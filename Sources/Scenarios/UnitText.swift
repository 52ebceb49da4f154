import WorkerCore

// Parsers for the quantities people write in scenario files and on the command line:
// durations (`250ms`, `1m30s`), sizes (`64MiB`) and rates (`100/s`). All of them accept only
// plain decimal numbers (no exponent, no sign), so `1e400s`, `-5s` and `10 parsecs` are rejected.

/// Durations as people write them: `250ms`, `1.5s`, `2m`, `2h`, `1d`, `90s`, `500us`/`500µs`,
/// combinations like `1m30s` or `1h 15m`, and a bare number meaning seconds.
public enum DurationText {
    /// Unit spellings and their length in microseconds, longest spelling first where one is a prefix.
    static let units: [(names: [String], microseconds: Int64)] = [
        (["d", "day", "days"], 86_400_000_000),
        (["h", "hr", "hrs", "hour", "hours"], 3_600_000_000),
        (["m", "min", "mins", "minute", "minutes"], 60_000_000),
        (["s", "sec", "secs", "second", "seconds"], 1_000_000),
        (["ms", "msec", "msecs", "millisecond", "milliseconds"], 1_000),
        (["us", "µs", "μs", "usec", "usecs", "microsecond", "microseconds"], 1),
    ]

    static func unitMicroseconds(_ name: String) -> Int64? {
        units.first { $0.names.contains(name) }?.microseconds
    }

    /// Parses a duration; nil for anything malformed, negative or too large for `TimeSpan`.
    /// Values are rounded to the nearest microsecond.
    public static func parse(_ text: String) -> TimeSpan? {
        var scanner = NumberScanner(text)
        scanner.skipSpaces()
        guard !scanner.atEnd else { return nil }
        var total: Int64 = 0
        var previousUnit = Int64.max
        var components = 0
        while !scanner.atEnd {
            guard let number = scanner.number() else { return nil }
            scanner.skipSpaces()
            let unitName = scanner.word()
            let unit: Int64
            if unitName.isEmpty {
                // A bare number is seconds, and only on its own.
                guard components == 0, scanner.atEnd else { return nil }
                unit = 1_000_000
            } else {
                guard let found = unitMicroseconds(unitName) else { return nil }
                unit = found
            }
            // Components go from the largest unit down, each unit at most once: `1m30s`, not `30s1m`.
            guard unit < previousUnit else { return nil }
            previousUnit = unit
            guard let value = number.scaled(by: unit) else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(value)
            guard !overflow else { return nil }
            total = sum
            components += 1
            scanner.skipSpaces()
        }
        return TimeSpan(microseconds: total)
    }

    /// Writes a duration the way `parse` reads it back exactly: `0s`, `250ms`, `1500µs`, `1m30s`,
    /// `1.5s`, `2h`, `1d2h`.
    public static func format(_ span: TimeSpan) -> String {
        var micros = span.microseconds
        if micros == 0 { return "0s" }
        var sign = ""
        if micros < 0 {
            sign = "-"
            micros = micros == Int64.min ? Int64.max : -micros
        }
        if micros < 1_000_000 {
            return sign + (micros % 1_000 == 0 ? "\(micros / 1_000)ms" : "\(micros)µs")
        }
        var out = ""
        var rest = micros
        for (name, size) in [("d", Int64(86_400_000_000)), ("h", 3_600_000_000), ("m", 60_000_000)] where rest >= size {
            out += "\(rest / size)\(name)"
            rest %= size
        }
        if rest > 0 {
            let whole = rest / 1_000_000
            let fraction = rest % 1_000_000
            if fraction == 0 {
                out += "\(whole)s"
            } else {
                var digits = String(fraction)
                digits = String(repeating: "0", count: 6 - digits.count) + digits
                while digits.hasSuffix("0") { digits.removeLast() }
                out += "\(whole).\(digits)s"
            }
        }
        return sign + out
    }
}

/// Sizes in bytes: `64MiB`, `512KiB`, `1GiB`, `100MB`, `2KB`, `10B`; a bare number means bytes.
/// Binary units (KiB, MiB, GiB, TiB) are powers of 1024, decimal ones (KB, MB, GB, TB) of 1000.
/// Unit letters are matched without regard to case.
public enum SizeText {
    static let units: [(name: String, bytes: Int64)] = [
        ("b", 1),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
    ]

    /// Parses a size; nil for anything malformed, negative, fractional bytes or too large.
    /// A fractional value with a unit (`1.5GiB`) is rounded to the nearest byte.
    public static func parse(_ text: String) -> Int64? {
        var scanner = NumberScanner(text)
        scanner.skipSpaces()
        guard let number = scanner.number() else { return nil }
        scanner.skipSpaces()
        let unitName = scanner.word().lowercased()
        scanner.skipSpaces()
        guard scanner.atEnd else { return nil }
        let unit: Int64
        if unitName.isEmpty {
            unit = 1
        } else {
            guard let found = units.first(where: { $0.name == unitName }) else { return nil }
            unit = found.bytes
        }
        if unit == 1 && !number.fractionDigits.isEmpty { return nil }
        return number.scaled(by: unit)
    }

    /// Writes a size with the largest unit that divides it exactly (`64MiB`, `100MB`, `10B`).
    public static func format(_ bytes: Int64) -> String {
        if bytes == 0 { return "0B" }
        for (name, size) in [("TiB", Int64(1) << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
                             ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000)]
        where bytes % size == 0 {
            return "\(bytes / size)\(name)"
        }
        return "\(bytes)B"
    }
}

/// Rates of tasks: `100/s`, `6000/m`, `10/h`, `5/d`; a bare number means per second.
/// The result is in tasks per second. Zero is accepted here (a ramp may start from 0);
/// the scenario loader decides where zero is allowed.
public enum RateText {
    static let periods: [(names: [String], seconds: Double)] = [
        (["s", "sec", "second"], 1),
        (["m", "min", "minute"], 60),
        (["h", "hr", "hour"], 3_600),
        (["d", "day"], 86_400),
    ]

    /// Parses a rate into tasks per second; nil for anything malformed or negative.
    public static func parse(_ text: String) -> Double? {
        var scanner = NumberScanner(text)
        scanner.skipSpaces()
        guard let number = scanner.number() else { return nil }
        scanner.skipSpaces()
        var period = 1.0
        if scanner.peek == "/" {
            scanner.advance()
            scanner.skipSpaces()
            let name = scanner.word()
            guard let found = periods.first(where: { $0.names.contains(name) }) else { return nil }
            period = found.seconds
        }
        scanner.skipSpaces()
        guard scanner.atEnd, let value = number.doubleValue else { return nil }
        let rate = value / period
        return rate.isFinite ? rate : nil
    }

    /// Writes a rate per second, like `100/s` or `0.5/s`.
    public static func format(_ perSecond: Double) -> String {
        if perSecond == perSecond.rounded(), abs(perSecond) < 1e15 { return "\(Int64(perSecond))/s" }
        return "\(perSecond)/s"
    }
}

/// A plain decimal number as written: digits, optionally a point and more digits.
struct DecimalText {
    var integerDigits: String
    var fractionDigits: String

    /// The value times `unit`, rounded to an integer; nil on overflow.
    func scaled(by unit: Int64) -> Int64? {
        var whole: Int64 = 0
        for digit in integerDigits.unicodeScalars {
            let (times10, overflow1) = whole.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.addingReportingOverflow(Int64(digit.value - 48))
            guard !overflow1, !overflow2 else { return nil }
            whole = next
        }
        let (scaledWhole, overflow) = whole.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        guard !fractionDigits.isEmpty else { return scaledWhole }
        guard let fraction = Double("0." + fractionDigits) else { return nil }
        let part = (fraction * Double(unit)).rounded()
        guard part < 9.2e18 else { return nil }
        let (sum, overflow3) = scaledWhole.addingReportingOverflow(Int64(part))
        return overflow3 ? nil : sum
    }

    var doubleValue: Double? {
        let value = Double(fractionDigits.isEmpty ? integerDigits : integerDigits + "." + fractionDigits)
        guard let value, value.isFinite else { return nil }
        return value
    }
}

/// A tiny cursor over the unicode scalars of a string.
struct NumberScanner {
    let scalars: [Unicode.Scalar]
    var index = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    var atEnd: Bool { index >= scalars.count }
    var peek: Unicode.Scalar? { atEnd ? nil : scalars[index] }
    mutating func advance() { index += 1 }

    mutating func skipSpaces() {
        while let scalar = peek, scalar == " " || scalar == "\t" { advance() }
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= 48 && scalar.value <= 57 }

    /// `digits` or `digits.digits`; nil (without consuming a valid number) when none is there.
    mutating func number() -> DecimalText? {
        var integer = ""
        while let scalar = peek, Self.isDigit(scalar) { integer.unicodeScalars.append(scalar); advance() }
        guard !integer.isEmpty else { return nil }
        var fraction = ""
        if peek == "." {
            advance()
            while let scalar = peek, Self.isDigit(scalar) { fraction.unicodeScalars.append(scalar); advance() }
            guard !fraction.isEmpty else { return nil }
        }
        return DecimalText(integerDigits: integer, fractionDigits: fraction)
    }

    /// A run of letters (including µ and μ).
    mutating func word() -> String {
        var out = ""
        while let scalar = peek, scalar.properties.isAlphabetic { out.unicodeScalars.append(scalar); advance() }
        return out
    }
}
