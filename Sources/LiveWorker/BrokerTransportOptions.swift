import Foundation
import WorkerCore

/// Celery's `broker_transport_options` for the Redis transport (kombu/transport/redis.py), with
/// Kombu's defaults. Producers and workers must agree on `prioritySteps`, or messages strand in
/// lists nobody reads.
public struct BrokerTransportOptions: Sendable, Equatable {
    /// `visibility_timeout`: a delivery older than this is restored by any worker's sweep.
    public var visibilityTimeout: TimeSpan = .seconds(3600)
    /// `priority_steps`, lowest (served first) first.
    public var prioritySteps: [Int] = [0, 3, 6, 9]
    /// `queue_order_strategy`.
    public var queueOrderStrategy: QueueOrderStrategy = .roundRobin
    /// `unacked_mutex_expire`: how long a restore sweep may hold `unacked_mutex` (300 s).
    public var unackedMutexExpire: TimeSpan = .seconds(300)
    /// BRPOP's server-side timeout (`brpop_timeout`, 1 s).
    public var brpopTimeout: TimeSpan = .seconds(1)

    public init() {}

    /// `priority_steps` from text like "0,3,6,9": increasing integers starting at 0 (Kombu's rule,
    /// since step 0 is the bare queue name). Nil when the text is not that.
    public static func prioritySteps(parsing text: String) -> [Int]? {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        let steps = parts.compactMap { $0 }
        guard steps.first == 0, zip(steps, steps.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
        return steps
    }
}
