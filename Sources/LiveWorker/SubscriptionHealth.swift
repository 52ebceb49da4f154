import Foundation
import RedisClient

/// Kombu's `health_check_interval` for a subscription (`maybe_check_subclient_health`): every
/// interval the subscribed connection is PINGed, and a PONG that does not come within the
/// socket timeout means the server stopped answering, reported as a timeout so the caller
/// reconnects. Without it a subscription to a frozen or partitioned broker just looks quiet, and
/// remote control silently stops working.
struct SubscriptionHealth {
    private let intervalSeconds: Double
    private let answerWithinSeconds: Double
    private let endpoint: String
    private var nextPingAt: Date
    private var awaiting: (sentAt: Date, pongsBefore: Int)?

    init(url: RedisURL) {
        intervalSeconds = max(url.socket.healthCheckIntervalSeconds, 0.1)
        answerWithinSeconds = url.socket.socketTimeoutSeconds ?? 120
        endpoint = url.redacted
        nextPingAt = Date().addingTimeInterval(intervalSeconds)
    }

    /// Sends the next PING when due, and throws when the last one went unanswered too long.
    mutating func check(_ subscriber: RedisConnection, what: String) throws(RedisError) {
        let now = Date()
        if let awaiting {
            if subscriber.pongsReceived > awaiting.pongsBefore {
                self.awaiting = nil
            } else if now.timeIntervalSince(awaiting.sentAt) >= answerWithinSeconds {
                subscriber.close()
                throw RedisError(.timeout, endpoint: endpoint,
                                 message: "no reply from \(endpoint) to the \(what)'s health check PING within \(String(format: "%g", answerWithinSeconds)) s")
            }
        }
        if self.awaiting == nil, now >= nextPingAt {
            awaiting = (now, subscriber.pongsReceived)
            try subscriber.sendSubscribedPing()
            nextPingAt = now.addingTimeInterval(intervalSeconds)
        }
    }
}
