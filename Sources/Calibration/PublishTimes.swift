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
///    messages received in it; the k-th arrival is placed evenly within its interval, or, when it
///    was taken before the next sample, the fleet's mean pick-up time before its receipt (see
///    `assignFromLengths`). Accurate to about the sampling interval.
public enum PublishTimes {
    public struct Outcome: Sendable {
        /// How many attempts each method timed.
        public var byMethod: [(PublishMethod, Int)]
        /// Receipts that could not be paired with a push (more receipts than pushes, or a push
        /// after the receipt): a sign of a missed notification.
        public var unmatched: Int
    }

    /// - Parameter acksLate: whether the fleet acknowledges after the task (it decides what the
    ///   `unacked` hash counts, which the length method uses).
    public static func assign(_ attempts: inout [RecordedAttempt], sent: [String: (at: Double, queue: String?, priority: Int?)],
                              recording: Recording, acksLate: Bool = true) -> Outcome {
        var unmatched = 0
        for index in attempts.indices {
            if let entry = sent[AttemptReconstruction.key(attempts[index].id, attempts[index].retries)] {
                attempts[index].publishedAt = min(entry.at, attempts[index].receivedAt)
                attempts[index].publishMethod = .taskSent
                if attempts[index].queue == nil { attempts[index].queue = entry.queue }
            }
        }
        let firstSample = recording.lengthSamples.first
        let receiveDelay = Self.receiveDelay(attempts, samples: recording.lengthSamples, acksLate: acksLate)
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
            assignFromLengths(&attempts, receipts: receipts, queue: queue, waiting: waiting, samples: recording.lengthSamples,
                              receiveDelay: receiveDelay)
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
                                  samples: [QueueLengthSample], receiveDelay: Double = 0) {
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
        // First pass: each receipt's arrival interval (j: published in (t[j-1], t[j]]).
        var placed: [(index: Int, j: Int, position: Double)] = []
        var j = 1
        for (rank, index) in receipts.enumerated() where attempts[index].publishMethod == .unknown {
            // This receipt is arrival number `rank - waiting + 1` counted from the first sample,
            // for the receipts after the first sample.
            let number = rank - waiting + 1 - received[0]
            guard number >= 1 else { continue }
            while j < samples.count, arrivals[j] < number { j += 1 }
            guard j < samples.count else { break }
            let before = arrivals[j - 1], after = arrivals[j]
            placed.append((index, j, (Double(number - before) - 0.5) / Double(max(1, after - before))))
        }
        // A message taken within the interval it arrived in was never seen in a sample; one seen
        // by exactly one sample waited across one sample time. For waits shorter than the
        // interval I, a message is seen with probability w / I, so the mean short wait is
        // I × seen-once / (seen-once + never-seen) — the pick-up time of a fleet with a free
        // slot, which is where an unseen message's publish is put (before its receipt), rather
        // than spread over an interval much longer than it waited.
        var unseen = 0, seenOnce = 0
        for entry in placed {
            let receipt = attempts[entry.index].receivedAt
            if receipt <= times[entry.j] { unseen += 1 } else if entry.j + 1 < times.count, receipt <= times[entry.j + 1] { seenOnce += 1 }
        }
        let interval = (times[times.count - 1] - times[0]) / Double(times.count - 1)
        let dwell = unseen + seenOnce > 0 ? interval * Double(seenOnce) / Double(unseen + seenOnce) : 0
        // After the pop, the worker still decodes the message before it sends task-received.
        let pickUp = dwell + receiveDelay
        for entry in placed {
            let receipt = attempts[entry.index].receivedAt
            let start = times[entry.j - 1], end = times[entry.j]
            let estimate: Double
            if receipt <= end {
                estimate = max(start, receipt - pickUp)
            } else {
                estimate = start + entry.position * (end - start)
            }
            attempts[entry.index].publishedAt = min(estimate, receipt)
            attempts[entry.index].publishMethod = .queueLength
        }
    }

    /// The mean time from a message's pop (BRPOP) to its task-received event, by Little's law on
    /// the messages between the two: Kombu puts a message in the `unacked` hash as it pops it,
    /// so at each sample the popped-but-not-yet-received count is, with late acks, (ended + in
    /// `unacked`) − received since the first sample, and with early acks (the ack comes as the
    /// task starts) `unacked` − (received − started). Their mean over the samples, over the
    /// receipt rate, is the delay. 0 without `unacked` in the samples.
    static func receiveDelay(_ attempts: [RecordedAttempt], samples: [QueueLengthSample], acksLate: Bool) -> Double {
        guard samples.count >= 10, samples.allSatisfy({ $0.unacked != nil }) else { return 0 }
        let receipts = attempts.map(\.receivedAt).sorted()
        let ends = attempts.compactMap { $0.outcome == .unfinished ? nil : $0.endedAt }.sorted()
        let starts = attempts.compactMap(\.startedAt).sorted()
        func count(_ sorted: [Double], upTo time: Double) -> Int {
            var low = 0, high = sorted.count
            while low < high { let mid = (low + high) / 2; if sorted[mid] <= time { low = mid + 1 } else { high = mid } }
            return low
        }
        let first = samples[0]
        let received0 = count(receipts, upTo: first.at), ended0 = count(ends, upTo: first.at)
        var total = 0.0
        for sample in samples {
            let received = count(receipts, upTo: sample.at) - received0
            let inFlight: Int
            if acksLate {
                inFlight = (count(ends, upTo: sample.at) - ended0) + (sample.unacked! - first.unacked!) - received
            } else {
                inFlight = sample.unacked! - (count(receipts, upTo: sample.at) - count(starts, upTo: sample.at))
            }
            total += Double(max(0, inFlight))
        }
        let span = samples[samples.count - 1].at - first.at
        let rate = Double(count(receipts, upTo: samples[samples.count - 1].at) - received0) / max(span, 1e-9)
        guard rate > 0 else { return 0 }
        return (total / Double(samples.count)) / rate
    }
}
