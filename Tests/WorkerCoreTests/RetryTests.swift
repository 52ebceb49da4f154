import Testing
import WorkerCore

@Suite("Retries")
struct RetryTests {
    func retryConfig(maxRetries: Int? = 3, backoff: Int? = 1, jitter: Bool = false) -> WorkerConfig {
        config(concurrency: 1) { c in
            c.taskDefaults.retry.autoretryFor = ["ConnectionError"]
            c.taskDefaults.retry.maxRetries = maxRetries
            c.taskDefaults.retry.backoffFactor = backoff
            c.taskDefaults.retry.backoffMax = .seconds(600)
            c.taskDefaults.retry.jitter = jitter
        }
    }

    @Test("autoretry publishes retries+1 with eta now+countdown, stores RETRY, then acks the old message")
    func autoretryPublishesNext() {
        var h = CoreHarness(retryConfig())
        h.start()
        let run = h.send(.delivered(h.request(id: "flaky"))).executions[0]
        let out = h.send(.taskFinished(slot: run.slot, execution: run.execution,
                                       outcome: .failed(ErrorDescription(type: "ConnectionError", message: "down")),
                                       childResidentKiB: nil))
        #expect(out.published.count == 1)
        let next = out.published[0]
        #expect(next.id == "flaky")
        #expect(next.retries == 1)
        #expect(next.eta == h.now + .seconds(1), "factor 1 × 2^0")
        #expect(out.storedStates == ["RETRY"])
        // Order: publish, store RETRY, ack.
        let publishIndex = out.firstIndex { if case .publish = $0 { return true } else { return false } }!
        let ackIndex = out.firstIndex { if case .ack = $0 { return true } else { return false } }!
        #expect(publishIndex < ackIndex)
    }

    @Test("backoff countdowns are min(max, factor·2^retries) without jitter", arguments: [
        (0, 1), (1, 2), (2, 4), (3, 8), (9, 512), (10, 600), (40, 600),
    ])
    func backoffSequence(retries: Int, expectedSeconds: Int64) {
        var policy = RetryPolicy()
        policy.backoffFactor = 1
        policy.jitter = false
        var random = SeededRandom(seed: 1)
        #expect(policy.autoretryCountdown(retries: retries, random: &random) == .seconds(expectedSeconds))
    }

    @Test("Dify's min(2^retries × 60, 3600) is backoff factor 60 with max 3600")
    func difyBackoff() {
        var policy = RetryPolicy()
        policy.backoffFactor = 60
        policy.backoffMax = .seconds(3600)
        policy.jitter = false
        var random = SeededRandom(seed: 1)
        let countdowns = (0..<8).map { policy.autoretryCountdown(retries: $0, random: &random).microseconds / 1_000_000 }
        #expect(countdowns == [60, 120, 240, 480, 960, 1920, 3600, 3600])
    }

    @Test("with jitter the countdown is a whole number of seconds in [0, countdown]")
    func jitterRange() {
        var policy = RetryPolicy()
        policy.backoffFactor = 1
        policy.jitter = true
        var random = SeededRandom(seed: 99)
        var seen = Set<Int64>()
        for _ in 0..<500 {
            let value = policy.autoretryCountdown(retries: 3, random: &random)
            #expect(value.microseconds % 1_000_000 == 0)
            #expect(value >= .zero && value <= .seconds(8))
            seen.insert(value.microseconds)
        }
        #expect(seen.count == 9, "every value 0...8 is drawn")
    }

    @Test("without backoff the countdown is default_retry_delay")
    func defaultDelay() {
        var random = SeededRandom(seed: 1)
        #expect(RetryPolicy().autoretryCountdown(retries: 5, random: &random) == .seconds(180))
    }

    @Test("max_retries=2 allows 3 attempts, then FAILURE with the original error")
    func maxRetriesExhausted() {
        var h = CoreHarness(retryConfig(maxRetries: 2))
        h.start()
        var request = h.request(id: "flaky")
        var attempts = 0
        var lastOut: [WorkerDirective] = []
        while attempts < 10 {
            attempts += 1
            let run = h.send(.delivered(request)).executions[0]
            lastOut = h.send(.taskFinished(slot: run.slot, execution: run.execution,
                                           outcome: .failed(ErrorDescription(type: "ConnectionError", message: "down")),
                                           childResidentKiB: nil))
            guard let next = lastOut.published.first else { break }
            var delivered = next
            delivered.deliveryTag = "retry-\(attempts)"
            delivered.eta = nil
            request = delivered
        }
        #expect(attempts == 3)
        #expect(lastOut.storedStates == ["FAILURE"])
        #expect(lastOut.storedRecords.first?.error?.type == "ConnectionError")
    }

    @Test("max_retries nil retries forever; errors outside autoretry_for fail at once")
    func foreverAndNotListed() {
        var policy = RetryPolicy()
        policy.maxRetries = nil
        #expect(policy.allowsRetry(afterRetries: 10_000))
        var h = CoreHarness(retryConfig())
        h.start()
        let run = h.send(.delivered(h.request())).executions[0]
        let out = h.send(.taskFinished(slot: run.slot, execution: run.execution,
                                       outcome: .failed(ErrorDescription(type: "KeyError", message: "k")),
                                       childResidentKiB: nil))
        #expect(out.published.isEmpty)
        #expect(out.storedStates == ["FAILURE"])
    }

    @Test("an explicit self.retry(countdown=2) uses that countdown")
    func explicitRetry() {
        var h = CoreHarness(retryConfig())
        h.start()
        let run = h.send(.delivered(h.request())).executions[0]
        let out = h.send(.taskFinished(slot: run.slot, execution: run.execution,
                                       outcome: .retryRequested(countdown: .seconds(2),
                                                                error: ErrorDescription(type: "ValueError", message: "x")),
                                       childResidentKiB: nil))
        #expect(out.published.first?.eta == h.now + .seconds(2))
    }

    @Test("self.retry() without a countdown waits default_retry_delay, even with backoff; the directive names the attempt retried")
    func requestedRetryWithoutCountdown() {
        var h = CoreHarness(retryConfig(backoff: 1))
        h.start()
        let run = h.send(.delivered(h.request())).executions[0]
        let out = h.send(.taskFinished(slot: run.slot, execution: run.execution,
                                       outcome: .retryRequested(countdown: nil,
                                                                error: ErrorDescription(type: "ValueError", message: "x")),
                                       childResidentKiB: nil))
        #expect(out.published.first?.eta == h.now + h.core.config.taskDefaults.retry.defaultRetryDelay)
        let retried = out.compactMap { if case .publish(_, let current) = $0 { return current } else { return nil } }
        #expect(retried.map(\.deliveryTag) == [run.request.deliveryTag], "the driver finds the message to build the next one by this tag")
        var random = SeededRandom(seed: 1)
        let policy = h.core.config.taskDefaults.retry
        #expect(policy.countdown(for: .requested(countdown: .seconds(5)), retries: 3, random: &random) == .seconds(5))
        #expect(policy.countdown(for: .requested(countdown: nil), retries: 3, random: &random) == policy.defaultRetryDelay)
    }
}
