/// ISO 8601 timestamps as Celery writes them (`eta`, `expires`, `date_done`, Kombu datetime tags),
/// held as microseconds since the Unix epoch, UTC.
///
/// Hand-written civil-date arithmetic (Howard Hinnant's days-from-civil) instead of `DateFormatter`:
/// it is locale-free, allocation-free and runs per message.
public enum CeleryTimestamp {
    public static let microsPerSecond: Int64 = 1_000_000

    /// Parses `YYYY-MM-DD[(T| )HH:MM[:SS[(.|,)f…]]][Z|±HH[:MM[:SS[.f…]]]|±HHMM]` (what Python's
    /// `datetime.isoformat`/`fromisoformat` produce). A missing offset (naive time) is taken as UTC;
    /// fractions beyond microseconds are truncated. Years 1–9999 like Python.
    public static func parse(_ text: String) throws(WireError) -> Int64 {
        var p = Scanner(bytes: Array(text.utf8))
        guard let micros = p.parseTimestamp(), p.atEnd else {
            throw WireError(.badTimestamp, "malformed ISO 8601 timestamp \(quoted(text)) (expected e.g. 2026-11-29T03:09:49.700783+00:00)")
        }
        return micros
    }

    /// Celery's form: `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`, without the fraction when it is zero
    /// (Python's `isoformat` rule).
    public static func format(_ micros: Int64) -> String {
        let (secs, frac) = floorDivMod(micros, microsPerSecond)
        let (days, secOfDay) = floorDivMod(secs, 86_400)
        let (y, m, d) = civil(fromDays: days)
        // Written into bytes rather than concatenated: a result document formats one per task,
        // and the String pieces were about 2% of a prefork parent's CPU.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(40)
        if y < 0 { bytes.append(UInt8(ascii: "-")) }
        appendPadded(y.magnitude, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(UInt64(m), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(UInt64(d), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendPadded(UInt64(secOfDay / 3600), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(UInt64(secOfDay / 60 % 60), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(UInt64(secOfDay % 60), width: 2, to: &bytes)
        if frac != 0 {
            bytes.append(UInt8(ascii: "."))
            appendPadded(UInt64(frac), width: 6, to: &bytes)
        }
        bytes.append(contentsOf: "+00:00".utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `v` in decimal, left-padded with zeros to `width` digits (more digits when it needs them).
    private static func appendPadded(_ v: UInt64, width: Int, to bytes: inout [UInt8]) {
        var divisor: UInt64 = 1
        var digits = 1
        while divisor <= v / 10 { divisor *= 10; digits += 1 }
        if digits < width { bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits)) }
        var rest = v
        while divisor > 0 {
            bytes.append(UInt8(truncatingIfNeeded: rest / divisor) &+ 0x30)
            rest %= divisor
            divisor /= 10
        }
    }

    // MARK: Civil date math

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    public static func days(fromYear y: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? y - 1 : y
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (civil_from_days).
    public static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Python's `calendar.monthrange(y, m)[1]`.
    public static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    static func quoted(_ text: String) -> String {
        let shown = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return "'\(shown)'"
    }

    /// Cursor over the timestamp's bytes; every method returns nil on mismatch (no traps).
    private struct Scanner {
        let bytes: [UInt8]
        var i = 0

        var atEnd: Bool { i == bytes.count }

        mutating func digits(_ n: Int) -> Int64? {
            guard i + n <= bytes.count else { return nil }
            var v: Int64 = 0
            for k in i..<(i + n) {
                let b = bytes[k]
                guard b >= 0x30 && b <= 0x39 else { return nil }
                v = v * 10 + Int64(b - 0x30)
            }
            i += n
            return v
        }

        mutating func eat(_ c: Character) -> Bool {
            guard i < bytes.count, let a = c.asciiValue, bytes[i] == a else { return false }
            i += 1
            return true
        }

        /// Optional `.ffffff` (or `,ffffff`), 1+ digits, returned as microseconds.
        mutating func fraction() -> Int64? {
            guard eat(".") || eat(",") else { return 0 }
            var micros: Int64 = 0
            var n = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                if n < 6 { micros = micros * 10 + Int64(bytes[i] - 0x30) }
                n += 1
                i += 1
            }
            guard n > 0 else { return nil }
            for _ in n..<max(n, 6) { micros *= 10 }
            return micros
        }

        /// `HH[:MM[:SS[.f]]]` → microseconds of day. `requireMinutes` for the main time part.
        mutating func clock(requireMinutes: Bool) -> Int64? {
            guard let h = digits(2), h < 24 else { return nil }
            var total = h * 3600 * CeleryTimestamp.microsPerSecond
            if eat(":") {
                guard let m = digits(2), m < 60 else { return nil }
                total += m * 60 * CeleryTimestamp.microsPerSecond
                if eat(":") {
                    guard let s = digits(2), s < 60 else { return nil }
                    total += s * CeleryTimestamp.microsPerSecond
                    guard let f = fraction() else { return nil }
                    total += f
                }
            } else if requireMinutes {
                return nil
            } else if let m = digits(2) {  // ±HHMM offset form
                guard m < 60 else { return nil }
                total += m * 60 * CeleryTimestamp.microsPerSecond
            }
            return total
        }

        mutating func parseTimestamp() -> Int64? {
            guard let y = digits(4), y >= 1, eat("-"), let mo = digits(2), (1...12).contains(mo),
                  eat("-"), let d = digits(2), d >= 1, d <= CeleryTimestamp.daysInMonth(y, mo)
            else { return nil }
            let day = CeleryTimestamp.days(fromYear: y, month: mo, day: d)
            var micros = day * 86_400 * CeleryTimestamp.microsPerSecond
            if atEnd { return micros }
            guard eat("T") || eat(" ") || eat("t") else { return nil }
            guard let tod = clock(requireMinutes: true) else { return nil }
            micros += tod
            if atEnd { return micros }
            if eat("Z") || eat("z") { return micros }
            let sign: Int64
            if eat("+") { sign = 1 } else if eat("-") { sign = -1 } else { return nil }
            guard let offset = clock(requireMinutes: false) else { return nil }
            return micros - sign * offset
        }
    }
}
