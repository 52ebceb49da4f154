import FleetRecording

/// When each attempt's message was published, by the best evidence the recording holds.
///
/// Worker events say when a message was *received*, and with prefetch 1 and acks_late that is
/// close to its start, not its publish. In order of accuracy:
/// 1. `task-sent` events (clients with `task_send_sent_event`): the client's own publish time.
/// 2. Keyspace notifications of the queue lists (`lovage record --keyspace-events`): the time
///    Redis announced each LPUSH. Kombu's Redis transport pushes with LPUSH and pops with BRPOP,
///    so a list is FIFO: the k-th message received from a queue is its k-th push, after the
///    messages that were already waiting when the recording began.
/// 3. Sampled queue lengths: the arrivals of an interval are the change in length plus the
///    messages received in it; the k-th arrival is placed evenly within its interval (no later
///    than it was received). Accurate to about the sampling interval.
public enum PublishTimes {
    public struct Outcome: Sendable {
        /// How many attempts each method timed.
        public var byMethod: [(PublishMethod, Int)]
        /// Receipts that could not be paired with a push (more receipts than pushes, or a push
        /// after the receipt): a sign of a missed notification.
        public var unmatched: Int
    }

    public static func assign(_ attempts: inout [RecordedAttempt], sent: [String: (at: Double, queue: String?, priority: Int?)],
                              recording: Recording) -> Outcome {
        var unmatched = 0
        for index in attempts.indices {
            if let entry = sent[AttemptReconstruction.key(attempts[index].id, attempts[index].retries)] {
                attempts[index].publishedAt = min(entry.at, attempts[index].receivedAt)
                attempts[index].publishMethod = .taskSent
                if attempts[index].queue == nil { attempts[index].queue = entry.queue }
            }
        }
        let firstSample = recording.lengthSamples.first
        for queue in queues(of: attempts) {
            let receipts = attempts.indices.filter { attempts[$0].queue == queue }.sorted { attempts[$0].receivedAt < attempts[$1].receivedAt }
            let waiting = firstSample.map { sample in sample.lengths.filter { $0.queue == queue }.reduce(0) { $0 + $1.length } } ?? 0
            let pushes = recording.pushes.filter { $0.queue == queue }.map(\.at).sorted()
            if !pushes.isEmpty {
                for (rank, index) in receipts.enumerated() where attempts[index].publishMethod == .unknown {
                    let pushIndex = rank - waiting
                    guard pushIndex >= 0 else { continue }
                    guard pushIndex < pushes.count, pushes[pushIndex] <= attempts[index].receivedAt + 0.002 else { unmatched += 1; continue }
                    attempts[index].publishedAt = min(pushes[pushIndex], attempts[index].receivedAt)
                    attempts[index].publishMethod = .keyspace
                }
            }
            assignFromLengths(&attempts, receipts: receipts, queue: queue, waiting: waiting, samples: recording.lengthSamples)
        }
        var counts: [(PublishMethod, Int)] = []
        for method in [PublishMethod.taskSent, .keyspace, .queueLength, .unknown] {
            let count = attempts.filter { $0.publishMethod == method }.count
            if count > 0 { counts.append((method, count)) }
        }
        return Outcome(byMethod: counts, unmatched: unmatched)
    }

    static func queues(of attempts: [RecordedAttempt]) -> [String] {
        Array(Set(attempts.compactMap(\.queue))).sorted()
    }

    /// Method 3: cumulative arrivals at each sample are length − first length + receipts so far.
    static func assignFromLengths(_ attempts: inout [RecordedAttempt], receipts: [Int], queue: String, waiting: Int,
                                  samples: [QueueLengthSample]) {
        guard samples.count >= 2 else { return }
        let times = samples.map(\.at)
        let lengths = samples.map { sample in sample.lengths.filter { $0.queue == queue }.reduce(0) { $0 + $1.length } }
        // Receipts up to each sample time.
        var received = [Int](repeating: 0, count: samples.count)
        var cursor = 0
        let receiptTimes = receipts.map { attempts[$0].receivedAt }
        for (j, time) in times.enumerated() {
            while cursor < receiptTimes.count, receiptTimes[cursor] <= time { cursor += 1 }
            received[j] = cursor
        }
        // Cumulative arrivals since the first sample (never decreasing: a sample can catch a pop
        // before its event arrived).
        var arrivals = [Int](repeating: 0, count: samples.count)
        for j in 1..<samples.count {
            arrivals[j] = max(arrivals[j - 1], lengths[j] - lengths[0] + received[j] - received[0])
        }
        var j = 1
        for (rank, index) in receipts.enumerated() where attempts[index].publishMethod == .unknown {
            // This receipt is arrival number `rank - waiting + 1` counted from the first sample,
            // for the receipts after the first sample.
            let number = rank - waiting + 1 - received[0]
            guard number >= 1 else { continue }
            while j < samples.count, arrivals[j] < number { j += 1 }
            guard j < samples.count else { break }
            let before = arrivals[j - 1], after = arrivals[j]
            let position = (Double(number - before) - 0.5) / Double(max(1, after - before))
            let estimate = times[j - 1] + position * (times[j] - times[j - 1])
            attempts[index].publishedAt = min(estimate, attempts[index].receivedAt)
            attempts[index].publishMethod = .queueLength
        }
    }
}
