import Foundation
import Reports

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Runs `handler` on Ctrl-C (SIGINT) or SIGTERM instead of dying: a command that must finish
/// what it writes (a run's report, a recording's footer) stops its work and returns. Keep the
/// returned sources alive for as long as the handler should run; cancel them after.
func interruptSources(_ handler: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    return [SIGINT, SIGTERM].map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        return source
    }
}

/// Whether standard error is a terminal (progress bars only go to terminals).
var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

/// A one-line chart of a series, scaled to its own maximum.
func sparkline(_ values: [Double], width: Int = 60) -> String {
    guard !values.isEmpty else { return "" }
    let bars = Array("▁▂▃▄▅▆▇█")
    let step = max(1, Int((Double(values.count) / Double(width)).rounded(.up)))
    var buckets: [Double] = []
    var index = 0
    while index < values.count {
        buckets.append(values[index..<min(values.count, index + step)].max() ?? 0)
        index += step
    }
    let top = buckets.max() ?? 0
    guard top > 0 else { return String(repeating: bars[0], count: buckets.count) }
    return String(buckets.map { bars[min(bars.count - 1, Int(($0 / top) * Double(bars.count - 1)))] })
}

/// Renders a progress bar line like
/// `[=====>      ]  45%  virtual 27m00s / 1h00m00s  elapsed 4.10s  remaining ~5.01s`.
func progressLine(fraction: Double, virtualSeconds: Double, totalSeconds: Double, wallSeconds: Double) -> String {
    let width = 30
    let filled = max(0, min(width, Int(fraction * Double(width))))
    let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "") + String(repeating: " ", count: max(0, width - filled - 1))
    // The run may end early (everything drained), so the estimate is an upper bound.
    let remaining = fraction > 0.001 ? wallSeconds * (1 - fraction) / fraction : 0
    return String(format: "\r[%@] %3.0f%%  virtual %@ / %@  elapsed %@  remaining ~%@\u{1B}[K", bar, fraction * 100,
                  humanDuration(microseconds: virtualSeconds * 1_000_000),
                  humanDuration(microseconds: totalSeconds * 1_000_000),
                  humanDuration(microseconds: wallSeconds * 1_000_000),
                  humanDuration(microseconds: remaining * 1_000_000))
}

/// Redraws the progress bar on standard error.
@Sendable func writeProgress(fraction: Double, virtualSeconds: Double, totalSeconds: Double, startedAt: Date) {
    let line = progressLine(fraction: fraction, virtualSeconds: virtualSeconds, totalSeconds: totalSeconds,
                            wallSeconds: Date().timeIntervalSince(startedAt))
    FileHandle.standardError.write(Data(line.utf8))
}
