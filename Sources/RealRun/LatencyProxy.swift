import Foundation
import Glibc

/// A TCP relay on a free 127.0.0.1 port in front of the broker, so a real run can add latency
/// (`broker_latency` faults) the way a slow network would: while a latency is set, every chunk of
/// bytes read from either side is held that long before it is passed on, so each command and
/// each reply arrives later, in order. With no latency it relays at once.
///
/// Workers and the publisher connect to the relay; the sampler and the result collector talk to
/// the broker directly, so the figures are read without the injected delay.
final class LatencyProxy: @unchecked Sendable {
    let port: Int
    private let targetHost: String
    private let targetPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var latencyMicros: Int64 = 0
    private var stopping = false
    private var sockets: [Int32] = []

    init(targetHost: String, targetPort: Int) throws {
        self.targetHost = targetHost
        self.targetPort = targetPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RealRunError("latency proxy: cannot create a socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            close(fd)
            throw RealRunError("latency proxy: cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "lovage-latency-proxy"
        thread.start()
    }

    /// Sets the added latency (per direction) from now on.
    func setLatency(_ microseconds: Int64) { lock.withLock { latencyMicros = max(0, microseconds) } }

    /// Closes the listener and every relayed connection.
    func stop() {
        let open = lock.withLock { () -> [Int32] in
            stopping = true
            defer { sockets.removeAll() }
            return sockets
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if lock.withLock({ stopping }) { return }
                if errno == EINTR { continue }
                return
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: targetPort, host: targetHost)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(client)
                close(upstream)
                continue
            }
            var one: Int32 = 1
            for fd in [client, upstream] { setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size)) }
            lock.withLock { sockets += [client, upstream] }
            relay(from: client, to: upstream)
            relay(from: upstream, to: client)
        }
    }

    /// One direction: read a chunk, hold it for the current latency, write it on.
    private func relay(from source: Int32, to destination: Int32) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, 65_536) }
                if count <= 0 { break }
                let delay = lock.withLock { latencyMicros }
                if delay > 0 { usleep(useconds_t(min(delay, Int64(UInt32.max)))) }
                var offset = 0
                while offset < count {
                    let written = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + offset, count - offset) }
                    if written <= 0 { break }
                    offset += written
                }
                if offset < count { break }
            }
            shutdown(destination, Int32(SHUT_WR))
            shutdown(source, Int32(SHUT_RD))
        }
        thread.name = "lovage-latency-relay"
        thread.start()
    }

    private static func loopback(port: Int, host: String = "127.0.0.1") -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        return address
    }
}
