import Foundation

/// "1h02m03s" / "12.3s" / "850ms" / "120µs" for a duration in microseconds.
public func humanDuration(microseconds: Double) -> String {
    let us = microseconds
    if us == 0 { return "0s" }  // a unit even on zero: a bare 0 reads as a count
    if us < 1_000 { return String(format: "%.0fµs", us) }
    if us < 1_000_000 { return String(format: "%.1fms", us / 1_000) }
    if us < 60_000_000 { return String(format: "%.2fs", us / 1_000_000) }
    let totalSeconds = Int(us / 1_000_000)
    let hours = totalSeconds / 3600, minutes = (totalSeconds % 3600) / 60, seconds = totalSeconds % 60
    return hours > 0 ? String(format: "%dh%02dm%02ds", hours, minutes, seconds) : String(format: "%dm%02ds", minutes, seconds)
}

/// "1.5 GiB" for a byte count.
public func humanBytes(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

