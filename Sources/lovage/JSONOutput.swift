import Foundation
import Reports

/// Prints a report as JSON on standard output, with the encoder summary.json uses (sorted
/// snake_case keys, so the same report prints the same bytes).
func printJSON<Value: Encodable>(_ value: Value) throws {
    print(String(decoding: try SummaryFiles.encoder().encode(value), as: UTF8.self))
}
