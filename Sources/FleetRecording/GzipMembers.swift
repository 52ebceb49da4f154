import CZlib

/// gzip (RFC 1952) members, and files made of many of them back to back.
///
/// The recorder writes one member per flush, appended to the file: each flush is complete on its
/// own, so the file is valid gzip after every flush (`zcat` reads the concatenation as one stream),
/// and a recorder killed mid-write loses at most its last, partial member — which the reader finds
/// and reports instead of failing the whole file.
public enum GzipMembers {
    /// One complete gzip member holding `bytes`.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip wrapper rather than zlib's.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                let status = deflate(&stream, Z_FINISH)
                return status == Z_STREAM_END ? outBuffer.count - Int(stream.avail_out) : -1
            }
        }
        guard produced >= 0 else { return [] }
        return Array(output.prefix(produced))
    }

    /// What a file of members holds.
    public struct Decoded: Sendable {
        /// The uncompressed bytes of every complete member, in order.
        public var bytes: [UInt8]
        public var members: Int
        /// Compressed bytes at the end that do not form a complete member (a write cut short).
        public var truncatedTailBytes: Int
        /// A member that is not valid gzip (not just cut short), with its byte offset.
        public var corruptAt: Int?
    }

    /// Decompresses every member of `data`; a partial last member is reported, not fatal.
    public static func decompress(_ data: [UInt8]) -> Decoded {
        var result = Decoded(bytes: [], members: 0, truncatedTailBytes: 0, corruptAt: nil)
        var offset = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while offset < data.count {
            var stream = z_stream()
            // windowBits 15 + 32: gzip or zlib, detected from the header.
            guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                result.corruptAt = offset
                return result
            }
            var memberBytes: [UInt8] = []
            var status: Int32 = Z_OK
            let consumed: Int = data.withUnsafeBufferPointer { all in
                stream.next_in = UnsafeMutablePointer(mutating: all.baseAddress! + offset)
                stream.avail_in = uInt(all.count - offset)
                repeat {
                    let made: Int = chunk.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(out.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        return out.count - Int(stream.avail_out)
                    }
                    memberBytes.append(contentsOf: chunk.prefix(made))
                } while status == Z_OK && stream.avail_in > 0
                return (all.count - offset) - Int(stream.avail_in)
            }
            inflateEnd(&stream)
            switch status {
            case Z_STREAM_END:
                result.bytes.append(contentsOf: memberBytes)
                result.members += 1
                offset += consumed
            case Z_OK, Z_BUF_ERROR:
                // Input ran out before the member's end: a write cut short.
                result.truncatedTailBytes = data.count - offset
                return result
            default:
                result.corruptAt = offset
                return result
            }
        }
        return result
    }
}
