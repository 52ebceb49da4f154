import CHiredis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The error state hiredis left in a context, translated into a `RedisError` with the right code.
///
/// hiredis reports socket errors as `REDIS_ERR_IO` plus `strerror(errno)` text, so the code is
/// chosen by comparing with the text of the errno values that matter (a read timeout surfaces as
/// `EAGAIN`, "Resource temporarily unavailable").
struct HiredisFailure {
    let kind: Int32
    let text: String
    let savedErrno: Int32

    init(_ context: UnsafeMutablePointer<redisContext>) {
        savedErrno = errno
        kind = context.pointee.err
        text = withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private func matches(_ codes: Int32...) -> Bool {
        codes.contains { code in
            savedErrno == code || text == String(cString: strerror(code))
        }
    }

    private var detail: String { text.isEmpty ? "unknown hiredis error \(kind)" : text }

    /// For a failed connect.
    func connectError(url: RedisURL, timeout: Double) -> RedisError {
        let endpoint = url.redacted
        if kind == REDIS_ERR_IO && matches(ECONNREFUSED) {
            return RedisError(.connectionRefused, endpoint: endpoint, message: "cannot connect to \(endpoint): \(detail)")
        }
        if kind == REDIS_ERR_IO && matches(ETIMEDOUT, EAGAIN, EWOULDBLOCK, EINPROGRESS) {
            return RedisError(.timeout, endpoint: endpoint,
                              message: "cannot connect to \(endpoint): no connection within \(formatSeconds(timeout)) (\(detail))")
        }
        return RedisError(.unreachable, endpoint: endpoint, message: "cannot connect to \(endpoint): \(detail)")
    }

    /// For a failed command, pipeline or socket setting on an open connection.
    func commandError(url: RedisURL, timeout: Double?) -> RedisError {
        let endpoint = url.redacted
        switch kind {
        case REDIS_ERR_IO where matches(EAGAIN, EWOULDBLOCK, ETIMEDOUT):
            let limit = timeout.map { " within \(formatSeconds($0))" } ?? ""
            return RedisError(.timeout, endpoint: endpoint,
                              message: "no reply from \(endpoint)\(limit); the connection is closed (\(detail))")
        case REDIS_ERR_PROTOCOL:
            return RedisError(.protocolError, endpoint: endpoint,
                              message: "protocol error talking to \(endpoint): \(detail)")
        default:
            return RedisError(.connectionLost, endpoint: endpoint,
                              message: "lost the connection to \(endpoint): \(detail)")
        }
    }
}

/// "1 s", "0.25 s": short and without trailing zeros, for messages.
func formatSeconds(_ seconds: Double) -> String {
    let millis = (seconds * 1000).rounded()
    if millis.truncatingRemainder(dividingBy: 1000) == 0 { return "\(Int(millis / 1000)) s" }
    var text = String(millis / 1000)
    while text.hasSuffix("0") { text.removeLast() }
    return text + " s"
}
