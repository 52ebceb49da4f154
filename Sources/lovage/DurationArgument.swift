import ArgumentParser
import Scenarios
import WorkerCore

/// A duration given on the command line: `5s`, `1m30s`, `250ms`, `1h`, `500us`; a bare number is
/// seconds, as Celery reads its flags (`--time-limit 3600`). It is read by the same rule as the
/// scenario files' durations (`DurationText`), so one spelling works everywhere.
struct DurationArgument: Sendable, Equatable, CustomStringConvertible {
    var span: TimeSpan

    init(_ span: TimeSpan) { self.span = span }

    /// Whole seconds or a fraction of them, for the settings that are kept in seconds.
    var seconds: Double { Double(span.microseconds) / 1_000_000 }

    /// Written back the way it is read: `60s`, `250ms`, `1m30s`.
    var description: String { DurationText.format(span) }

    /// Reads an option's value; the error says what was wrong and how to write it.
    static func parse(_ text: String) throws -> DurationArgument {
        guard let span = DurationText.parse(text) else {
            throw ValidationError("expected a duration such as 30, 30s, 250ms, 5m, 1h or 1m30s (a bare number is seconds), got '\(text)'")
        }
        return DurationArgument(span)
    }
}
