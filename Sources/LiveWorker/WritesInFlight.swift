import Foundation
import RedisClient

/// The batches the main loop sent on the broker connection without waiting for their replies
/// (a fetch first, then results, acks and events), oldest first, with the replies read so far.
///
/// Redis answers a connection's commands in order, so replies are handed to the batches in the
/// order they were sent; a batch whose replies are all in is done. After an outage nothing that is
/// not done can be trusted to have run: every unanswered batch is sent again on the new connection
/// (each write is idempotent, and a fetch pops nothing once its caller's wait has passed).
struct WritesInFlight {
    struct Batch {
        var commands: [[[UInt8]]]
        /// The fetch sent as the batch's first command, if any.
        var fetch: LiveWorkerDriver.PendingFetch?
        var replies: [RedisReply] = []
        let sentAt: ContinuousClock.Instant
    }

    private(set) var batches: [Batch] = []

    var isEmpty: Bool { batches.isEmpty }
    var count: Int { batches.count }

    mutating func append(commands: [[[UInt8]]], fetch: LiveWorkerDriver.PendingFetch?) {
        batches.append(Batch(commands: commands, fetch: fetch, sentAt: .now))
    }

    /// Hands `replies` to the batches in order and returns (and removes) the batches now complete.
    mutating func take(_ replies: [RedisReply]) -> [Batch] {
        var done: [Batch] = []
        var remaining = replies[...]
        while !remaining.isEmpty, !batches.isEmpty {
            let wanted = batches[0].commands.count - batches[0].replies.count
            batches[0].replies.append(contentsOf: remaining.prefix(wanted))
            remaining = remaining.dropFirst(wanted)
            if batches[0].replies.count == batches[0].commands.count { done.append(batches.removeFirst()) }
        }
        return done
    }

    /// Every unanswered command, in order, with the replies read so far forgotten: what a fresh
    /// connection must be sent.
    mutating func resendable() -> [[[UInt8]]] {
        for index in batches.indices { batches[index].replies = [] }
        return batches.flatMap(\.commands)
    }

    /// Drops every batch (the broker was given up on during a shutdown).
    mutating func abandon() -> [Batch] {
        defer { batches = [] }
        return batches
    }

    /// When the oldest batch has waited as long as a command may (`socketTimeout`), the broker is
    /// not answering: the loop then waits for the replies itself, which fails over to reconnecting.
    func answerDeadline(socketTimeout: Double?) -> Date {
        guard let oldest = batches.first, let socketTimeout else { return .distantFuture }
        let waited = (ContinuousClock.now - oldest.sentAt)
        let waitedSeconds = Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18
        return Date().addingTimeInterval(max(0, socketTimeout - waitedSeconds))
    }

    func overdue(socketTimeout: Double?) -> Bool { answerDeadline(socketTimeout: socketTimeout) <= Date() }
}

extension LiveWorkerDriver {
    /// The most batches in flight before the loop waits for the oldest replies.
    static let writesInFlightLimit = 32

    /// Reads the replies that have arrived (the broker socket polled readable) and finishes the
    /// batches they complete; a failed read goes through `completeWritesInFlight`, which reconnects.
    func readArrivedReplies() {
        do {
            for batch in writesInFlight.take(try broker.receiveArrivedReplies()) { finish(batch) }
        } catch {
            completeWritesInFlight()
        }
    }

    /// Waits for every reply of the batches in flight, before the broker connection is used for
    /// anything else. After an outage the fresh connection has no replies to read, so every
    /// unanswered batch is sent again (see `WritesInFlight`).
    func completeWritesInFlight() {
        guard !writesInFlight.isEmpty else { return }
        var done: [WritesInFlight.Batch] = []
        withReconnect("store results and acknowledge", server: "broker", connection: { broker }, reconnect: reconnectBroker) {
            broker throws(RedisError) in
            if broker.hasUnreadReplies {
                done += writesInFlight.take(try broker.receiveUnreadReplies())
            } else {
                done += writesInFlight.take(try broker.pipelineReplies(writesInFlight.resendable()))
            }
        }
        // Given up (a shutdown with the broker away): what was fetched stays in `unacked`.
        _ = writesInFlight.abandon()
        for batch in done { finish(batch) }
    }

    /// A batch's replies are all in: the fetch's reply becomes deliveries (posted to the inbox, so
    /// the loop takes them wherever this ran; an empty or failed fetch goes to the fetcher thread's
    /// BRPOP), and an error reply to a write is logged — or, when it means the server is no master
    /// now (READONLY and the like), the writes are sent again through a reconnect.
    private func finish(_ batch: WritesInFlight.Batch) {
        var replies = batch.replies
        var writes = batch.commands
        if let fetch = batch.fetch {
            writes.removeFirst()
            let reply = replies.removeFirst()
            do {
                let deliveries = try RedisBroker.deliveries(fromFetchReply: reply)
                if deliveries.isEmpty {
                    fetcher.request(keys: fetch.keys, room: fetch.room)
                } else {
                    inbox.post(.fetched(deliveries))
                }
            } catch {
                logger.error("\(error)")
                // NOSCRIPT (the scripts were flushed) is an outage: load them again before the next batch.
                if error.isOutage { broker.forgetScripts() }
                fetcher.request(keys: fetch.keys, room: fetch.room)
            }
        }
        do {
            try RedisBroker.check(replies, what: "store results and acknowledge")
        } catch where error.isOutage {
            broker.forgetScripts()
            withBroker("store results and acknowledge") { broker throws(RedisError) in
                try broker.pipeline(writes, what: "store results and acknowledge")
            }
        } catch {
            logger.error("\(error)")
        }
    }
}
