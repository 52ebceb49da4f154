/// Lays a command's arguments out for hiredis' `…Argv` functions: one contiguous byte buffer plus
/// a pointer and an explicit length per argument.
///
/// Explicit lengths are what make commands binary-safe (a NUL inside a value does not end it),
/// and one buffer avoids nesting a `withUnsafeBufferPointer` closure per argument.
struct CommandArguments {
    private var storage: [UInt8] = []
    private var offsets: [Int] = []
    private var lengths: [Int] = []

    init(_ arguments: [[UInt8]]) {
        storage.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        offsets.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(storage.count)
            lengths.append(argument.count)
            storage.append(contentsOf: argument)
        }
        // Never empty, so the buffer always has a base address (empty arguments point at it).
        storage.append(0)
    }

    /// Calls `body` with `argc`, `argv` and `argvlen`, valid only during the call.
    func withArgv<Result>(
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Result
    ) -> Result {
        storage.withUnsafeBytes { buffer in
            let base = buffer.baseAddress
            var pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                base.map { ($0 + offset).assumingMemoryBound(to: CChar.self) }
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    // Both buffers are non-empty here: callers reject empty commands first.
                    guard let argvBase = argv.baseAddress, let lengthsBase = argvlen.baseAddress else {
                        var none: UnsafePointer<CChar>? = nil
                        var zero = 0
                        return body(0, &none, &zero)
                    }
                    return body(Int32(clamping: offsets.count), argvBase, lengthsBase)
                }
            }
        }
    }
}
