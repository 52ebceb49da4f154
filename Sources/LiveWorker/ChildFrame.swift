import Glibc

/// The byte layout of one message between the prefork parent and a child (`ChildProtocol` says what
/// the messages are): a 4-byte little-endian length, then that many bytes — a kind byte and the
/// fields, each a fixed-width little-endian number or a 4-byte length and its bytes.
///
/// Binary rather than JSON lines: for a `noop` task the JSON objects were most of what a child
/// did (parsing the job, building and writing the outcome) and about 8% of the parent's CPU
/// (`docs/performance.md`, "Where the drain's time goes"). Arguments, results and custom-state
/// meta stay JSON text inside a frame: they are the task's own values.
struct ChildFrameWriter {
    private(set) var bytes: [UInt8]

    /// Starts a frame of `kind`; `finished()` fills in its length.
    init(kind: UInt8, capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(contentsOf: [0, 0, 0, 0, kind])
    }

    mutating func append(_ value: UInt8) { bytes.append(value) }
    mutating func append(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func append(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: Int64) { append(UInt64(bitPattern: value)) }
    mutating func append(_ value: Double) { append(value.bitPattern) }

    mutating func append<Bytes: Collection<UInt8>>(bytes field: Bytes) {
        withUnsafeBytes(of: UInt32(field.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: field)
    }

    mutating func append(_ text: String) { append(bytes: text.utf8) }

    /// The frame with its length written in.
    func finished() -> [UInt8] {
        var frame = bytes
        let length = UInt32(frame.count - 4).littleEndian
        withUnsafeBytes(of: length) { header in
            for index in 0..<4 { frame[index] = header[index] }
        }
        return frame
    }
}

/// Reads the fields of one frame's body (after its length) in order; every read is bounds-checked
/// and returns nil past the end, so a truncated or corrupt frame decodes to nil, never a crash.
struct ChildFrameReader {
    private let bytes: [UInt8]
    private var offset: Int

    /// `frame` is one frame's body: the kind byte and the fields.
    init(_ frame: [UInt8]) {
        bytes = frame
        offset = 0
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bool() -> Bool? { byte().map { $0 != 0 } }

    mutating func uint64() -> UInt64? {
        guard bytes.count - offset >= 8 else { return nil }
        defer { offset += 8 }
        return littleEndian(bytes, at: offset, width: 8)
    }

    mutating func int64() -> Int64? { uint64().map { Int64(bitPattern: $0) } }
    mutating func double() -> Double? { uint64().map { Double(bitPattern: $0) } }

    mutating func field() -> ArraySlice<UInt8>? {
        guard bytes.count - offset >= 4 else { return nil }
        let length = Int(littleEndian(bytes, at: offset, width: 4))
        guard bytes.count - offset - 4 >= length else { return nil }
        defer { offset += 4 + length }
        return bytes[(offset + 4)..<(offset + 4 + length)]
    }

    mutating func string() -> String? { field().map { String(decoding: $0, as: UTF8.self) } }
}

/// Cuts a byte stream into frames: blocking (`next`, the child's job pipe) or, on a descriptor set
/// to O_NONBLOCK, everything available now (`drain`, the parent's poll loop).
struct ChildFrameStream {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var scratch: [UInt8] = []
    private static let chunkBytes = 65_536
    /// A length past this is not a frame of ours (the stream is corrupt): the stream ends there.
    static let frameLimitBytes = 1 << 30

    init(fd: Int32) { self.fd = fd }

    /// The next frame's body, waiting for it; nil at the end of the stream.
    mutating func next() -> [UInt8]? {
        while true {
            switch takeFrame() {
            case .frame(let frame): return frame
            case .corrupt: return nil
            case .incomplete: if readChunk() <= 0 { return nil }
            }
        }
    }

    /// How a stream ended: the writer closed its end, or it wrote a length no frame of ours has, so
    /// nothing after it can be read as frames.
    enum End: Equatable { case closed, corrupt }

    /// The complete frames readable without blocking, and how the stream ended, if it has. A read
    /// shorter than the chunk emptied the pipe: it is not read again to hear EAGAIN (a system call
    /// per child per loop iteration); whatever comes later wakes the loop's poll.
    mutating func drain() -> (frames: [[UInt8]], end: End?) {
        var frames: [[UInt8]] = []
        while true {
            let count = readChunk()
            taking: while true {
                switch takeFrame() {
                case .frame(let frame): frames.append(frame)
                case .corrupt: return (frames, .corrupt)
                case .incomplete: break taking
                }
            }
            if count == 0 { return (frames, .closed) }
            if count < 0 { return (frames, errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR ? .closed : nil) }
            if count < Self.chunkBytes { return (frames, nil) }
        }
    }

    private enum Taken { case frame([UInt8]), incomplete, corrupt }

    private mutating func takeFrame() -> Taken {
        let available = buffer.count - start
        guard available >= 4 else { return .incomplete }
        let length = Int(littleEndian(buffer, at: start, width: 4))
        guard length > 0, length <= Self.frameLimitBytes else { return .corrupt }
        guard available - 4 >= length else { return .incomplete }
        let frame = Array(buffer[(start + 4)..<(start + 4 + length)])
        start += 4 + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > Self.chunkBytes {
            buffer.removeFirst(start)
            start = 0
        }
        return .frame(frame)
    }

    /// Appends one read's bytes; returns what read(2) returned. The scratch chunk is allocated
    /// once: zeroing 64 KiB for every read cost more than the task bodies it carried.
    private mutating func readChunk() -> Int {
        if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: Self.chunkBytes) }
        let count = scratch.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, Self.chunkBytes) }
        if count > 0 { buffer.append(contentsOf: scratch[0..<count]) }
        return count
    }
}

/// The unsigned little-endian number in `bytes[offset..<offset + width]` (the caller checked the bounds).
private func littleEndian(_ bytes: [UInt8], at offset: Int, width: Int) -> UInt64 {
    var value: UInt64 = 0
    for index in (0..<width).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
    return value
}
