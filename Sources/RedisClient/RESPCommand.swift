/// Writes commands in the Redis protocol's request form (RESP: `*<argc>\r\n` then
/// `$<length>\r\n<bytes>\r\n` per argument), so a whole pipeline reaches hiredis' output buffer in
/// one `redisAppendFormattedCommand` call.
///
/// Lengths are explicit, so any bytes (NUL, `\r\n`, invalid UTF-8) arrive unchanged, exactly as
/// with hiredis' `…Argv` functions; writing the request here instead saves laying each command's
/// arguments out as a pointer array and hiredis formatting them again (`sdscatfmt`), which was
/// about 4% of a prefork parent's CPU per task. The size is counted first and the bytes written
/// into one buffer of exactly that size.
enum RESPCommand {
    /// The request bytes of several commands, back to back. The caller rejects empty commands
    /// first: `*0\r\n` would leave Redis waiting for a command that never comes.
    static func encode(_ commands: [[[UInt8]]]) -> [UInt8] {
        var size = 0
        for arguments in commands {
            size += 3 + decimalDigits(arguments.count)
            for argument in arguments { size += 5 + decimalDigits(argument.count) + argument.count }
        }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            var at = base
            for arguments in commands {
                at = write(UInt8(ascii: "*"), count: arguments.count, at: at)
                for argument in arguments {
                    at = write(UInt8(ascii: "$"), count: argument.count, at: at)
                    argument.withUnsafeBufferPointer { bytes in
                        if let source = bytes.baseAddress { at.initialize(from: source, count: bytes.count) }
                    }
                    at += argument.count
                    at[0] = 0x0D
                    at[1] = 0x0A
                    at += 2
                }
            }
            initialized = at - base
            precondition(initialized == size, "RESP request size miscounted")
        }
    }

    /// `<marker><count>\r\n` at `at`; returns the position after it.
    private static func write(_ marker: UInt8, count: Int, at start: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        start[0] = marker
        let digits = decimalDigits(count)
        var rest = count
        for index in stride(from: digits, through: 1, by: -1) {
            start[index] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
            rest /= 10
        }
        start[digits + 1] = 0x0D
        start[digits + 2] = 0x0A
        return start + digits + 3
    }

    /// How many decimal digits a non-negative count takes.
    private static func decimalDigits(_ value: Int) -> Int {
        precondition(value >= 0, "a RESP count is never negative")
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }
}
