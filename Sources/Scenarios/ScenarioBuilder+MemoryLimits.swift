import WorkerCore
import Yams

/// Memory limits read in the unit their users write them in, and refused when implausible there.
///
/// `max_memory_per_child` takes a bare number as KiB, as Celery's `worker_max_memory_per_child`
/// and `lovage worker --max-memory-per-child` do (`200000` is 195 MiB); `memory_limit` takes a
/// bare number as bytes, like every other size. Either limit below 1 MiB or above 1 TiB is
/// refused with the likely fix: no worker or child runs in less than a MiB, and a limit above a
/// TiB limits nothing, so such a value is almost surely in the wrong unit.
extension ScenarioBuilder {
    /// The smallest and largest memory limit taken as meant.
    static let plausibleMemoryLimitBytes: ClosedRange<Int64> = (1 << 20)...(1 << 40)

    enum BareSizeUnit {
        case bytes, kibibytes
        var bytes: Int64 { self == .bytes ? 1 : 1024 }
        var name: String { self == .bytes ? "B" : "KiB" }
    }

    /// A memory limit in bytes, or nil (with the problem recorded).
    func readMemoryLimit(_ node: Node, _ path: String, bare: BareSizeUnit) -> Int64? {
        let bytes: Int64
        let written = node.scalarText ?? ""
        if node.tagName == .int {
            guard let value = node.int, value > 0, case let (scaled, overflow) = Int64(value).multipliedReportingOverflow(by: bare.bytes),
                  !overflow else {
                reader.fail(node, path, expected: "a positive size like 200MiB or 2GiB", node)
                return nil
            }
            bytes = scaled
        } else {
            guard let value = reader.size(node, path, positive: true) else { return nil }
            bytes = value
        }
        guard Self.plausibleMemoryLimitBytes.contains(bytes) else {
            let asRead = node.tagName == .int ? "\(written) is read as \(written) \(bare.name)" : written
            let bound = bytes < Self.plausibleMemoryLimitBytes.lowerBound ? "under 1MiB" : "over 1TiB"
            // Too small: most likely MiB were meant. Too large as a bare number of KiB: most likely bytes.
            var fix = ""
            if bytes < Self.plausibleMemoryLimitBytes.lowerBound, let number = Self.leadingNumber(written) {
                fix = "; did you mean \(number)MiB?"
            } else if node.tagName == .int, bare == .kibibytes, Self.plausibleMemoryLimitBytes.contains(bytes / 1024) {
                fix = "; did you mean \(written)B (bytes)?"
            }
            reader.fail(node, path, expected: "a memory limit from 1MiB to 1TiB", found: written,
                        message: "\(asRead), \(bound), which is not a plausible memory limit\(fix)"
                            + (bare == .kibibytes ? " (a bare number here is KiB, as Celery counts)" : " (a bare number here is bytes)"))
            return nil
        }
        return bytes
    }

    /// The digits (and decimals) a size starts with: `200` of `200KB`.
    static func leadingNumber(_ text: String) -> String? {
        var scanner = NumberScanner(text)
        scanner.skipSpaces()
        guard let number = scanner.number() else { return nil }
        return number.fractionDigits.isEmpty ? number.integerDigits : number.integerDigits + "." + number.fractionDigits
    }
}
