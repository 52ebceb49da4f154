import Foundation
import WorkerCore

/// The run's trace: every decision-relevant event, hashed always and streamed to a JSON-lines file
/// when asked.
///
/// The hash is an FNV-style multiply-xorshift over 64-bit words of a canonical form of each record
/// (the time, then the UTF-8 bytes of the kind and of the two identifying fields, with lengths), so
/// it costs little even when no file is written and is the same whether or not one is. Two runs with
/// the same seed and build must print the same hash; any leak of wall time or hash order changes it.
final class TraceRecorder {
    private var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    private var file: UnsafeMutablePointer<FILE>?
    private(set) var recordCount = 0
    private let epoch: Instant

    init(path: String?, epoch: Instant) throws {
        self.epoch = epoch
        if let path {
            guard let handle = fopen(path, "w") else {
                throw SimulationError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
            setvbuf(handle, nil, _IOFBF, 1 << 16)
            file = handle
        }
    }

    deinit { if let file { fclose(file) } }

    var hashHex: String {
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    var isWriting: Bool { file != nil }

    func close() {
        if let file { fclose(file) }
        file = nil
    }

    /// Records one event with up to four named fields, in a fixed order; the hash covers the time,
    /// the kind and the first two fields. Fixed parameters rather than
    /// a collection keep this allocation-free: it runs for every event of every run.
    func record(_ now: Instant, _ kind: String,
                _ name1: StaticString = "", _ value1: String = "",
                _ name2: StaticString = "", _ value2: String = "",
                _ name3: StaticString = "", _ value3: @autoclosure () -> String = "",
                _ name4: StaticString = "", _ value4: @autoclosure () -> String = "") {
        recordCount += 1
        mix(UInt64(bitPattern: now.microsecondsSinceEpoch))
        mix(kind)
        // The first two fields identify what happened to whom (task, delivery tag, worker); the
        // rest (names, queues, details) follow from them in a given run, so they go to the file only.
        if name1.utf8CodeUnitCount > 0 { mix(value1) }
        if name2.utf8CodeUnitCount > 0 { mix(value2) }
        guard let file else { return }
        var line = "{\"t\":\(formatSeconds(now - epoch)),\"ev\":\"\(kind)\""
        for (name, value) in [(name1, value1), (name2, value2), (name3, value3()), (name4, value4())]
        where name.utf8CodeUnitCount > 0 {
            line += ",\"\(name)\":\"\(escape(value))\""
        }
        line += "}\n"
        fputs(line, file)
    }

    private func mix(_ value: UInt64) {
        hash = (hash ^ value) &* 0x0000_0100_0000_01b3
        hash ^= hash >> 29
    }

    private func mix(_ text: String) {
        var text = text
        // Eight bytes per step: the trace hash runs for every event of every run.
        text.withUTF8 { bytes in
            var h = hash
            var index = 0
            let base = UnsafeRawBufferPointer(bytes)
            while index + 8 <= bytes.count {
                h = (h ^ base.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0x0000_0100_0000_01b3
                h ^= h >> 29
                index += 8
            }
            var tail = UInt64(bytes.count) << 56
            var shift: UInt64 = 0
            while index < bytes.count {
                tail |= UInt64(bytes[index]) << shift
                shift += 8
                index += 1
            }
            h = (h ^ tail) &* 0x0000_0100_0000_01b3
            hash = h ^ (h >> 29)
        }
    }

    private func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5c }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}

/// "12.345678" seconds from a span, exact (no floating point).
func formatSeconds(_ span: TimeSpan) -> String {
    let micros = span.microseconds
    let sign = micros < 0 ? "-" : ""
    let magnitude = micros.magnitude
    let fraction = String(magnitude % 1_000_000)
    return sign + String(magnitude / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
}

public enum SimulationError: Error, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}
