import FlyingFox
import FlyingSocks
import Foundation

/// The /metrics endpoint: FlyingFox (a small pure-Swift HTTP/1.1 server on Swift concurrency,
/// no NIO) serving the registry in Prometheus' text format. `GET /metrics` runs `beforeScrape`
/// first (the exporter's worker timeout rule), `GET /` links to it, anything else is a 404.
///
/// The server runs on Swift concurrency's threads, never on the worker's loop thread; the
/// registry it reads is thread-safe (swift-prometheus' locks).
public final class MetricsServer: Sendable {
    private let server: HTTPServer
    /// The port it listens on (the one asked for, or the system's choice for port 0).
    public let port: Int

    private init(server: HTTPServer, port: Int) {
        self.server = server
        self.port = port
    }

    /// Checks an address and port before anything starts (a bad one is refused naming its flag).
    public static func check(address: String, port: Int, portFlag: String, addressFlag: String) throws(MetricsServerError) {
        _ = try socketAddress(address: address, port: port, portFlag: portFlag, addressFlag: addressFlag)
    }

    private static func socketAddress(address: String, port: Int, portFlag: String, addressFlag: String) throws(MetricsServerError) -> any SocketAddress {
        guard (0...65535).contains(port) else {
            throw MetricsServerError("\(portFlag) \(port): not a port (0 to 65535)")
        }
        do {
            return address.contains(":") ? try sockaddr_in6.inet6(ip6: address, port: UInt16(port))
                                         : try sockaddr_in.inet(ip4: address, port: UInt16(port))
        } catch {
            throw MetricsServerError("\(addressFlag) \(address): not an IPv4 or IPv6 address")
        }
    }

    /// Listens on `address:port` and returns once listening, or throws what was wrong — the
    /// address, or a port already in use — naming the flag it came from.
    public static func start(address: String, port: Int, portFlag: String, addressFlag: String, registry: MetricsRegistry,
                             beforeScrape: @escaping @Sendable () -> Void = {}) throws(MetricsServerError) -> MetricsServer {
        let socketAddress = try socketAddress(address: address, port: port, portFlag: portFlag, addressFlag: addressFlag)
        let handler = MetricsHTTPHandler(registry: registry, beforeScrape: beforeScrape)
        let server = HTTPServer(address: socketAddress, timeout: 15, logger: .disabled, handler: handler)
        let outcome = StartOutcome()
        Task.detached {
            do { try await server.run() } catch { outcome.finish(.failure(error)) }
        }
        Task.detached {
            do {
                try await server.waitUntilListening(timeout: 10)
                outcome.finish(.success(()))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        if case .failure(let error) = outcome.wait() {
            throw MetricsServerError("\(portFlag) \(port): cannot listen on \(address):\(port): \(Self.reason(error))")
        }
        let bound = Self.boundPort(server) ?? port
        return MetricsServer(server: server, port: bound)
    }

    /// Stops listening and waits for the open connections (at most a second).
    public func stop() {
        let done = DispatchSemaphore(value: 0)
        let server = self.server
        Task.detached {
            await server.stop(timeout: 1)
            done.signal()
        }
        _ = done.wait(timeout: .now() + 2)
    }

    private static func boundPort(_ server: HTTPServer) -> Int? {
        let result = LockedBox<Int?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            switch await server.listeningAddress {
            case .ip4(_, let port)?, .ip6(_, let port)?: result.set(Int(port))
            default: break
            }
            done.signal()
        }
        done.wait()
        return result.get()
    }

    /// "Address already in use" rather than FlyingFox's "SocketError. bind(98): ...".
    private static func reason(_ error: any Error) -> String {
        if let socketError = error as? SocketError, case .failed(_, let errno, let message) = socketError {
            return message.isEmpty ? String(cString: strerror(errno)) : message
        }
        return "\(error)"
    }
}

/// What was wrong starting the metrics server.
public struct MetricsServerError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// GET /metrics, GET /, and 404s.
struct MetricsHTTPHandler: HTTPHandler {
    let registry: MetricsRegistry
    let beforeScrape: @Sendable () -> Void

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        switch (request.method, request.path) {
        case (.GET, "/metrics"):
            beforeScrape()
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: Data(registry.exposition().utf8))
        case (.GET, "/"):
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                                body: Data("<html><body><h1>Lovage</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n".utf8))
        default:
            return HTTPResponse(statusCode: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: Data("not found: \(request.method.rawValue) \(request.path) (the metrics are at GET /metrics)\n".utf8))
        }
    }
}

/// The first of "listening" and "failed" (the other is ignored).
private final class StartOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Void, any Error>?

    func finish(_ value: Result<Void, any Error>) {
        let first = lock.withLock { () -> Bool in
            guard result == nil else { return false }
            result = value
            return true
        }
        if first { done.signal() }
    }

    func wait() -> Result<Void, any Error> {
        done.wait()
        return lock.withLock { result! }
    }
}

final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func set(_ new: Value) { lock.withLock { value = new } }
    func get() -> Value { lock.withLock { value } }
}
