import ArgumentParser
import LiveWorker
import RedisClient

/// Parsing shared by the commands that talk to Redis, so `enqueue` and `worker` read the same
/// option the same way.
extension ParsableCommand {
    static func prioritySteps(_ text: String) throws -> [Int] {
        guard let steps = BrokerTransportOptions.prioritySteps(parsing: text) else {
            throw ValidationError("--priority-steps must be increasing integers starting at 0, got \(text)")
        }
        return steps
    }

    static func redisURL(_ text: String, what: String) throws -> RedisURL {
        try ParsableCommandURL.parse(text, what: what)
    }
}
