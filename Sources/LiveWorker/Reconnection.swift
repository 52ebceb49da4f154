import Foundation
import RedisClient

extension RedisError {
    /// Whether the failure is an outage worth waiting out (as opposed to bad credentials or a
    /// command the server refused).
    public var isOutage: Bool {
        switch code {
        case .unreachable, .connectionRefused, .timeout, .connectionLost, .protocolError: return true
        case .authenticationFailed, .wrongDatabase, .serverError, .misconfigured: return false
        }
    }
}

/// Capped exponential backoff for reconnecting: 100 ms, 200 ms, ... up to 5 s.
struct ReconnectBackoff {
    private(set) var attempt = 0
    let first: Double = 0.1
    let maximum: Double = 5

    mutating func next() -> Double {
        defer { attempt += 1 }
        return min(maximum, first * pow(2, Double(min(attempt, 16))))
    }
}

extension LiveWorkerDriver {
    /// Runs a broker operation, waiting out an outage: on a lost connection it logs once, reconnects
    /// with capped backoff and runs the operation again, so a late acknowledgement is never lost.
    /// Errors that reconnecting cannot fix are logged and the operation is dropped.
    @discardableResult
    func withBroker<T>(_ what: String, _ body: (RedisBroker) throws(RedisError) -> T) -> T? {
        completeWritesInFlight()
        return withReconnect(what, server: "broker", connection: { broker }, reconnect: reconnectBroker, body)
    }

    func reconnectBroker() {
        guard let fresh = try? RedisBroker(url: settings.brokerURL, options: settings.transport) else { return }
        // Writes sent again name the scripts by SHA1: the fresh connection's server must have them.
        try? fresh.prepareForPipelining()
        broker = fresh
    }

    /// The same for the result backend.
    @discardableResult
    func withBackend<T>(_ what: String, _ body: (RedisResultBackend) throws(RedisError) -> T) -> T? {
        withReconnect(what, server: "result backend", connection: { backend },
                      reconnect: {
                          if let fresh = try? RedisResultBackend(url: settings.resultBackendURL, resultExpires: settings.resultExpires) {
                              backend = fresh
                          }
                      }, body)
    }

    /// How often an outage that goes on is logged again after the first line.
    static let outageReminderSeconds: Double = 60

    func withReconnect<Connection, T>(_ what: String, server: String, connection: () -> Connection,
                                              reconnect: () -> Void,
                                              _ body: (Connection) throws(RedisError) -> T) -> T? {
        var backoff = ReconnectBackoff()
        var outageStarted: Date? = nil
        var remindAt = Date.distantFuture
        while true {
            do {
                let value = try body(connection())
                if let outageStarted {
                    logger.info("\(server) connection restored after \(String(format: "%.1f", Date().timeIntervalSince(outageStarted))) s; \(what) done")
                }
                return value
            } catch where error.isOutage {
                if brokerAbandoned { return nil }
                if outageStarted == nil {
                    // A timeout means the server holds the connection but does not answer (frozen,
                    // partitioned without a reset); the elapsed time is the socket timeout.
                    outageStarted = Date()
                    remindAt = Date().addingTimeInterval(Self.outageReminderSeconds)
                    if error.code == .timeout {
                        logger.error("\(server) not answering: \(error) (during \(what)); reconnecting, \(what) is retried when it answers")
                    } else {
                        logger.error("\(server) connection lost during \(what): \(error); reconnecting")
                    }
                } else if let outageStarted, Date() >= remindAt {
                    remindAt = Date().addingTimeInterval(Self.outageReminderSeconds)
                    logger.error("\(server) still not reachable after \(String(format: "%.0f", Date().timeIntervalSince(outageStarted))) s: \(error)")
                }
                if inbox.shutdownPending,
                   Date().timeIntervalSince(outageStarted ?? Date()) >= settings.brokerURL.socket.connectTimeoutSeconds {
                    brokerAbandoned = true
                    // Stopping with the broker away: what is not acknowledged stays in the broker's
                    // `unacked` and any worker restores it after the visibility timeout.
                    logger.error("shutting down while the \(server) is not reachable: \(what) left undone; unacknowledged messages are restored by the broker after visibility_timeout (\(Int(settings.transport.visibilityTimeout.seconds)) s)")
                    return nil
                }
                Thread.sleep(forTimeInterval: backoff.next())
                reconnect()
            } catch {
                logger.error("\(what): \(error)")
                return nil
            }
        }
    }
}
