#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// hiredis 0.14 writes with plain `write(2)`, so writing to a connection the server has closed
/// raises SIGPIPE, whose default action kills the whole worker instead of letting us report
/// `connectionLost`. Linux has no per-socket way to suppress it (hiredis would need
/// `send(MSG_NOSIGNAL)`), so the first connection sets SIGPIPE to "ignore" process-wide, unless
/// the host program already installed its own disposition, which we leave alone.
enum SignalSetup {
    static func ignoreSIGPIPE() {
        _ = ignoreSIGPIPEOnce
    }

    /// Global `let` initializers run exactly once, thread-safely.
    private static let ignoreSIGPIPEOnce: Bool = {
        var current = sigaction()
        guard sigaction(SIGPIPE, nil, &current) == 0 else { return false }
        #if canImport(Glibc)
        guard current.__sigaction_handler.sa_handler == nil else { return false }  // nil is SIG_DFL
        var ignore = sigaction()
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        #else
        guard current.__sigaction_u.__sa_handler == nil else { return false }
        var ignore = sigaction()
        ignore.__sigaction_u.__sa_handler = SIG_IGN
        #endif
        sigemptyset(&ignore.sa_mask)
        return sigaction(SIGPIPE, &ignore, nil) == 0
    }()
}
