/// The seeds `--seeds` names: `1...10000`, `1..<100` or one seed `42`.
public struct SeedRange: Sendable, Equatable, CustomStringConvertible {
    public var first: UInt64
    public var last: UInt64

    /// The most seeds one exploration runs (a bound on the work and on the report's memory).
    public static let maxCount: UInt64 = 100_000_000

    public init(first: UInt64, last: UInt64) { self.first = first; self.last = last }

    public init(parsing text: String) throws(SeedRangeError) {
        let trimmed = text.trimmingSpaces
        func seed(_ part: Substring) throws(SeedRangeError) -> UInt64 {
            guard let value = UInt64(part.trimmingSpaces) else {
                throw SeedRangeError("--seeds \(text): \"\(part)\" is not a seed (a whole number from 0 to \(UInt64.max))")
            }
            return value
        }
        if let range = trimmed.range(of: "..<") {
            first = try seed(trimmed[..<range.lowerBound])
            let end = try seed(trimmed[range.upperBound...])
            guard end > first else { throw SeedRangeError("--seeds \(text): the range is empty (\(end) is not above \(first))") }
            last = end - 1
        } else if let range = trimmed.range(of: "...") {
            first = try seed(trimmed[..<range.lowerBound])
            last = try seed(trimmed[range.upperBound...])
            guard last >= first else { throw SeedRangeError("--seeds \(text): the range is empty (\(last) is below \(first))") }
        } else if trimmed.contains("..") || trimmed.contains("-") {
            throw SeedRangeError("--seeds \(text): expected FIRST...LAST (three dots), FIRST..<END or one seed, like 1...10000")
        } else {
            first = try seed(Substring(trimmed))
            last = first
        }
        guard last - first < Self.maxCount else {
            throw SeedRangeError("--seeds \(text): \(last - first + 1) seeds is more than one run takes (\(Self.maxCount))")
        }
    }

    public var count: Int { Int(last - first + 1) }

    public func seed(at offset: Int) -> UInt64 { first + UInt64(offset) }

    public var description: String { first == last ? "\(first)" : "\(first)...\(last)" }
}

public struct SeedRangeError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
