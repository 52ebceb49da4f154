import Schedules

/// ISO 8601 instants as a scenario writes them (`schedule.start_at: 2026-12-04T01:50:00Z`): a
/// date, `T` (or a space), hours and minutes, optional seconds and fraction, and the zone — `Z` or
/// an offset like `+01:00`. The zone is required: a bare wall time would mean a different instant
/// on every host, and in a timezone that changes its clocks one such time may mean two.
public enum InstantText {
    /// Unix microseconds (UTC) of the text, or nil when it is not such an instant.
    public static func parse(_ text: String) -> Int64? {
        var scanner = Array(text.utf8)[...]
        func number(_ digits: Int) -> Int? {
            guard scanner.count >= digits else { return nil }
            var value = 0
            for _ in 0..<digits {
                guard let byte = scanner.first, (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
                scanner = scanner.dropFirst()
            }
            return value
        }
        func take(_ ascii: Character) -> Bool {
            guard let byte = scanner.first, byte == ascii.asciiValue! else { return false }
            scanner = scanner.dropFirst()
            return true
        }
        guard let year = number(4), take("-"), let month = number(2), take("-"), let day = number(2),
              take("T") || take("t") || take(" "), let hour = number(2), take(":"), let minute = number(2) else { return nil }
        var second = 0, micros = 0
        if take(":") {
            guard let value = number(2) else { return nil }
            second = value
            if take(".") || take(",") {
                var digits = 0
                while let byte = scanner.first, (48...57).contains(byte) {
                    if digits < 6 { micros = micros * 10 + Int(byte - 48) }
                    digits += 1
                    scanner = scanner.dropFirst()
                }
                guard digits > 0 else { return nil }
                for _ in digits..<max(digits, 6) { micros *= 10 }
            }
        }
        var offsetMinutes = 0
        if take("Z") || take("z") {
            offsetMinutes = 0
        } else if let sign = scanner.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            scanner = scanner.dropFirst()
            guard let hours = number(2) else { return nil }
            _ = take(":")
            guard let minutes = number(2), hours <= 23, minutes <= 59 else { return nil }
            offsetMinutes = (hours * 60 + minutes) * (sign == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        guard scanner.isEmpty, (1...12).contains(month), (1...WallTime.daysInMonth(year, month)).contains(day),
              hour <= 23, minute <= 59, second <= 59 else { return nil }
        let wall = WallTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second, microsecond: micros)
        return wall.wallMicros - Int64(offsetMinutes) * 60_000_000
    }

    /// `2026-12-04T01:50:00Z` (with a fraction only when there is one): the UTC form of an instant.
    public static func format(_ utcMicros: Int64) -> String {
        let wall = WallTime(wallMicros: utcMicros)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var text = "\(wall.year)-\(two(wall.month))-\(two(wall.day))T\(two(wall.hour)):\(two(wall.minute)):\(two(wall.second))"
        if wall.microsecond != 0 {
            let fraction = String(wall.microsecond)
            text += "." + String(repeating: "0", count: 6 - fraction.count) + fraction
        }
        return text + "Z"
    }
}
