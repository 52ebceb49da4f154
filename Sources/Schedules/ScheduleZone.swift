import Foundation

/// The app's timezone (Celery's `timezone` setting) as the schedules use it: the UTC offset at an
/// instant, and wall time ↔ UTC with PEP 495's folds, as Python's `zoneinfo` converts (the same
/// tzdata, /usr/share/zoneinfo). It holds no clock: every instant is given.
///
/// A wall time a spring-forward skips converts with the offset before the change when fold is 0
/// and after it when 1; a wall time a fall-back repeats is its first occurrence with fold 0 and
/// its second with 1 — both exactly as zoneinfo does, which is what `astimezone` gives Celery.
public struct ScheduleZone: Sendable, Equatable, CustomStringConvertible {
    public let identifier: String
    let zone: TimeZone

    public static let utc = ScheduleZone(checked: "UTC", zone: TimeZone(identifier: "UTC")!)

    init(checked identifier: String, zone: TimeZone) { self.identifier = identifier; self.zone = zone }

    /// A zone by its IANA name (`Europe/London`, `Asia/Shanghai`, `UTC`); an unknown name is refused
    /// rather than read as UTC, which is what Foundation would quietly do with some spellings.
    public init(_ identifier: String) throws(ScheduleZoneError) {
        guard !identifier.isEmpty, let zone = TimeZone(identifier: identifier),
              identifier == "UTC" || zone.identifier == identifier || TimeZone.knownTimeZoneIdentifiers.contains(identifier)
        else { throw ScheduleZoneError(identifier: identifier) }
        self.identifier = identifier
        self.zone = zone
    }

    public var description: String { identifier }
    public static func == (a: ScheduleZone, b: ScheduleZone) -> Bool { a.identifier == b.identifier }

    /// Seconds east of UTC at the instant `utcMicros`.
    public func offsetSeconds(atUTCMicros utcMicros: Int64) -> Int64 {
        let seconds = Double(utcMicros.dividedFloor(by: 1_000_000))
        return Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: seconds)))
    }

    /// The wall time at `utcMicros`, fold 1 when it is the second reading of a repeated time.
    public func wallTime(atUTCMicros utcMicros: Int64) -> WallTime {
        let local = utcMicros + offsetSeconds(atUTCMicros: utcMicros) * 1_000_000
        let readings = utcReadings(ofWallMicros: local)
        let fold = readings.count == 2 && utcMicros == readings[1] ? 1 : 0
        return WallTime(wallMicros: local, fold: fold)
    }

    /// The instant of a wall time, as zoneinfo's `utcoffset` with the reading's fold.
    public func utcMicros(of wall: WallTime) -> Int64 {
        let local = wall.wallMicros
        let readings = utcReadings(ofWallMicros: local)
        switch readings.count {
        case 1: return readings[0]
        case 2: return wall.fold == 0 ? readings[0] : readings[1]
        default:
            let (before, after) = offsetsAround(wallMicros: local)
            return local - (wall.fold == 0 ? before : after) * 1_000_000
        }
    }

    /// Whether the wall time exists (dateutil's `datetime_exists`): not in a spring-forward gap.
    public func exists(_ wall: WallTime) -> Bool { !utcReadings(ofWallMicros: wall.wallMicros).isEmpty }

    /// dateutil's `resolve_imaginary`: a wall time in a gap moved forward by the gap's length.
    public func resolvingGap(_ wall: WallTime) -> WallTime {
        guard !exists(wall) else { return wall }
        let (before, after) = offsetsAround(wallMicros: wall.wallMicros)
        return wall.addingWallMicros((after - before) * 1_000_000)
    }

    /// The UTC instants that read as this wall time, earliest first: one normally, two in a
    /// fall-back's repeated hour, none in a spring-forward's gap.
    func utcReadings(ofWallMicros local: Int64) -> [Int64] {
        let (before, after) = offsetsAround(wallMicros: local)
        var readings: [Int64] = []
        for offset in before == after ? [before] : [before, after] {
            let utc = local - offset * 1_000_000
            if offsetSeconds(atUTCMicros: utc) == offset { readings.append(utc) }
        }
        return readings.sorted()
    }

    /// The offsets a day either side of a wall time: the offset before and after any change near it.
    func offsetsAround(wallMicros local: Int64) -> (before: Int64, after: Int64) {
        let day: Int64 = 86_400_000_000
        return (offsetSeconds(atUTCMicros: local - day), offsetSeconds(atUTCMicros: local + day))
    }
}

/// A timezone name Lovage cannot find in the system's tzdata.
public struct ScheduleZoneError: Error, Sendable, Equatable, CustomStringConvertible {
    public let identifier: String
    public var description: String {
        "unknown timezone \"\(identifier)\": use an IANA name such as UTC, Europe/London or Asia/Shanghai (see /usr/share/zoneinfo)"
    }
}

extension Int64 {
    func dividedFloor(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
