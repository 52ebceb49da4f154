/// The trace hash's state and its mixing steps: an FNV-style multiply-xorshift over 64-bit words
/// of each record's canonical form (the time, the kind's precomputed words, then the identifying
/// fields' bytes with their lengths). Only the figure thread (`FigureThread.process`) mixes, for
/// the recorder's hashed records and for its trace-file lines alike, so a run gives the same hash
/// with or without a trace file.
struct TraceHash {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    /// Whether strings have Swift's 64-bit small-string layout here (`smallStringLayoutHolds`),
    /// so `mix(_:)` may read a small string's bytes from its two words.
    static let smallStrings = smallStringLayoutHolds
    private let smallStrings = TraceHash.smallStrings
    /// Read from the instance: a static would cost its once-check at every record.
    private let kindWords = KindHashWords.shared.words
    private let kindWordCounts = KindHashWords.shared.counts

    var hex: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    @inline(__always)
    mutating func mix(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01b3
        value ^= value >> 29
    }

    /// The words of a kind (by its case number, `KindHashWords.caseNumber`).
    @inline(__always)
    mutating func mix(kindNumber: Int) {
        let words = kindWords + kindNumber * KindHashWords.wordsPerKind
        for offset in 0..<kindWordCounts[kindNumber] { mix(words[offset]) }
    }

    /// Whether a string is held in its two words (Swift's small-string form), so those two words
    /// alone say what `mix(_:)` mixes for it (`mix(smallFirst:second:)`), with no reference to own.
    /// Only where `smallStrings` holds.
    @inline(__always)
    static func isSmallLayout(_ text: String) -> Bool {
        let (_, second) = unsafeBitCast(text, to: (UInt64, UInt64).self)
        return second >> 60 == 0xE
    }

    mutating func mix(_ text: String) {
        // The ids and names the simulator hashes are small ASCII strings (at most 15 bytes, held
        // in the string's two words): their words go to the hash as they are, the same words
        // `mix(bytes:)` would load from a copy of the bytes.
        if smallStrings && Self.isSmallLayout(text) {
            let (first, second) = unsafeBitCast(text, to: (UInt64, UInt64).self)
            mix(smallFirst: first, second: second)
            return
        }
        if text.utf8.withContiguousStorageIfAvailable({ mix(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            var contiguous = text
            contiguous.withUTF8 { mix(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    /// A small string's bytes from its two words (`isSmall`): the same words `mix(bytes:)` mixes.
    @inline(__always)
    mutating func mix(smallFirst first: UInt64, second: UInt64) {
        let count = Int(truncatingIfNeeded: (second >> 56) & 0x0F)
        let tailBytes: UInt64
        if count >= 8 {
            mix(first)
            tailBytes = second & ((1 << (8 * UInt64(count - 8))) - 1)
        } else {
            tailBytes = first & ((1 << (8 * UInt64(count))) &- 1)
        }
        mix((UInt64(count) << 56) | tailBytes)
    }

    /// Eight bytes per step, then the last 0–7 bytes (little-endian) with the length in the top
    /// byte: the trace hash runs for every event of every run, so the tail is read in at most three
    /// loads rather than byte by byte (the value is the same as the byte loop's).
    @inline(__always)
    mutating func mix(bytes: UnsafeRawBufferPointer) {
        var h = value
        let count = bytes.count
        var index = 0
        while index + 8 <= count {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0x0000_0100_0000_01b3
            h ^= h >> 29
            index += 8
        }
        var tail = UInt64(count) << 56
        var shift: UInt64 = 0
        if count - index >= 4 {
            tail |= UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self)))
            shift = 32
            index += 4
        }
        if count - index >= 2 {
            tail |= UInt64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt16.self))) << shift
            shift += 16
            index += 2
        }
        if index < count {
            tail |= UInt64(bytes[index]) << shift
        }
        h = (h ^ tail) &* 0x0000_0100_0000_01b3
        value = h ^ (h >> 29)
    }
}
