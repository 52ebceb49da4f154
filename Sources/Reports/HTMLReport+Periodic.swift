import Foundation

/// The Periodic tasks section of report.html: the terminal's "periodic" block as tables — per
/// entry its sends, due times, duplicates and missed runs with their causes, then the beats.
extension HTMLReport {
    static func periodicSection(_ s: RunSummary) -> String {
        guard let periodic = s.periodic else { return "" }
        var html = "<h2>Periodic tasks</h2>"
        if periodic.duplicates > 0 || periodic.missed > 0 {
            html += "<div class=\"warning\"><p>WARNING: \(periodic.duplicates) runs sent twice and \(periodic.missed) due runs never sent; the causes are listed per entry.</p></div>"
        }
        html += "<table><tr><th>entry</th><th>task</th><th>schedule</th><th>sends</th><th>due</th><th>duplicates</th><th>missed</th><th>causes</th></tr>"
        for entry in periodic.entries {
            let causes = entry.duplicateCauses.map { "duplicated \($0.count)×: \($0.cause)" }
                + entry.missedCauses.map { "missed \($0.count)×: \($0.cause)" }
            let cells = [entry.entry, entry.task, entry.schedule, "\(entry.sends)", "\(entry.due)", "\(entry.duplicates)", "\(entry.missed)"]
            html += "<tr>" + cells.map { "<td>\(escape($0))</td>" }.joined()
                + "<td>" + (causes.isEmpty ? "—" : causes.map(escape).joined(separator: "<br>")) + "</td></tr>"
        }
        html += "</table><table><tr><th>beat</th><th>lock</th><th>clock offset</th><th>sends</th><th>took the lock</th></tr>"
        for beat in periodic.beats {
            let cells = [beat.beat, beat.lock ? "shared" : "none", beat.clockOffsetMicros == 0 ? "0s"
                            : (beat.clockOffsetMicros < 0 ? "-" : "+") + humanDuration(microseconds: Double(abs(beat.clockOffsetMicros))),
                         "\(beat.sends)", beat.lock ? "\(beat.lockTaken)×" : "—"]
            html += "<tr>" + cells.map { "<td>\(escape($0))</td>" }.joined() + "</tr>"
        }
        return html + "</table>"
    }
}
