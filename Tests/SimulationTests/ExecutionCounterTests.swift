import Reports
import Testing

/// Counting duplicate executions from Celery's task events (what a real run does with its fleet's -E).
@Suite("ExecutionCounter: duplicates from task events")
struct ExecutionCounterTests {
    @Test("one delivery and one start per attempt: no duplicate; a retry is a new attempt")
    func noDuplicates() {
        var counter = ExecutionCounter()
        counter.taskReceived(hostname: "w1", pid: 1, clock: 1, uuid: "a", retries: 0)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 2, uuid: "a")
        counter.taskReceived(hostname: "w1", pid: 1, clock: 3, uuid: "a", retries: 1)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 4, uuid: "a")
        #expect(counter.duplicates == 0 && counter.started == 2 && counter.received == 2 && counter.redelivered == 0)
        #expect(counter.duplicateCauses.isEmpty)
    }

    @Test("a restored message started on another worker is a duplicate explained by the redelivery")
    func restoredAndRunAgain() {
        var counter = ExecutionCounter()
        counter.taskReceived(hostname: "w1", pid: 1, clock: 1, uuid: "a", retries: 0)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 2, uuid: "a")
        counter.taskReceived(hostname: "w2", pid: 2, clock: 7, uuid: "a", retries: 0)
        counter.taskStarted(hostname: "w2", pid: 2, clock: 8, uuid: "a")
        #expect(counter.duplicates == 1 && counter.redelivered == 1)
        #expect(counter.duplicateCauses.map(\.cause) == [ExecutionCounter.redeliveredCause])
        #expect(counter.duplicateCauses.first?.exampleTaskID == "a")
    }

    @Test("a start with no second delivery seen is a duplicate with an unexplained cause")
    func unexplained() {
        var counter = ExecutionCounter()
        counter.taskReceived(hostname: "w1", pid: 1, clock: 1, uuid: "a", retries: 0)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 2, uuid: "a")
        counter.taskStarted(hostname: "w2", pid: 2, clock: 5, uuid: "a")
        #expect(counter.duplicates == 1)
        #expect(counter.duplicateCauses.map(\.cause) == [ExecutionCounter.unexplainedCause])
    }

    @Test("the same event published twice (same sender and clock) counts once")
    func republishedEvent() {
        var counter = ExecutionCounter()
        counter.taskReceived(hostname: "w1", pid: 1, clock: 1, uuid: "a", retries: 0)
        counter.taskReceived(hostname: "w1", pid: 1, clock: 1, uuid: "a", retries: 0)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 2, uuid: "a")
        counter.taskStarted(hostname: "w1", pid: 1, clock: 2, uuid: "a")
        #expect(counter.duplicates == 0 && counter.received == 1 && counter.started == 1 && counter.redelivered == 0)
    }

    @Test("a retry is due from the previous attempt's task-retried, or from its eta when that is later")
    func retryDueTimes() {
        var counter = ExecutionCounter()
        counter.taskReceived(hostname: "w1", pid: 1, clock: 1, uuid: "a", retries: 0)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 2, uuid: "a")
        counter.taskRetried(hostname: "w1", uuid: "a", atMicros: 5_000_000)
        // Retry 1 was published with countdown 0 (no eta): due at the retry.
        counter.taskReceived(hostname: "w2", pid: 2, clock: 1, uuid: "a", retries: 1)
        counter.taskStarted(hostname: "w2", pid: 2, clock: 2, uuid: "a")
        counter.taskRetried(hostname: "w2", uuid: "a", atMicros: 6_000_000)
        // Retry 2 carries an eta 2 s after its publish.
        counter.taskReceived(hostname: "w1", pid: 1, clock: 3, uuid: "a", retries: 2, etaMicros: 8_000_000)
        #expect(counter.dueMicros(uuid: "a", retries: 0) == nil)
        #expect(counter.dueMicros(uuid: "a", retries: 1) == 5_000_000)
        #expect(counter.dueMicros(uuid: "a", retries: 2) == 8_000_000)
        #expect(counter.dueMicros(uuid: "a", retries: 3) == nil)
        #expect(counter.dueMicros(uuid: "b", retries: 1) == nil)
    }

    @Test("a task-retried that comes after the next attempt's task-received still counts for the attempt that retried")
    func retriedAfterTheSuccessorWasReceived() {
        var counter = ExecutionCounter()
        counter.taskReceived(hostname: "w1", pid: 1, clock: 1, uuid: "a", retries: 0)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 2, uuid: "a")
        // Countdown 0: the same worker receives retry 1 before it sends attempt 0's task-retried.
        counter.taskReceived(hostname: "w1", pid: 1, clock: 3, uuid: "a", retries: 1)
        counter.taskRetried(hostname: "w1", uuid: "a", atMicros: 5_000_000)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 4, uuid: "a")
        counter.taskRetried(hostname: "w1", uuid: "a", atMicros: 6_000_000)
        counter.taskReceived(hostname: "w1", pid: 1, clock: 5, uuid: "a", retries: 2)
        #expect(counter.retried == 2)
        #expect(counter.retries(uuid: "a") == 2)
        #expect(counter.dueMicros(uuid: "a", retries: 1) == 5_000_000)
        #expect(counter.dueMicros(uuid: "a", retries: 2) == 6_000_000)
    }

    @Test("retries are the attempts that asked for one, each once, however often its event came")
    func retriesThatHappened() {
        var counter = ExecutionCounter()
        counter.taskReceived(hostname: "w1", pid: 1, clock: 1, uuid: "a", retries: 0)
        counter.taskRetried(hostname: "w1", uuid: "a", atMicros: 5_000_000)
        counter.taskRetried(hostname: "w1", uuid: "a", atMicros: 5_000_100)   // the same attempt again
        counter.taskReceived(hostname: "w2", pid: 2, clock: 1, uuid: "a", retries: 1)
        counter.taskRetried(hostname: "w2", uuid: "a", atMicros: 7_000_000)
        counter.taskReceived(hostname: "w1", pid: 1, clock: 2, uuid: "b", retries: 0)
        #expect(counter.retries(uuid: "a") == 2)
        #expect(counter.retries(uuid: "b") == 0)
        #expect(counter.retried == 2)
        #expect(counter.retriedAtMicros == [5_000_000, 7_000_000])
    }

    @Test("each attempt's first start and its end (task-retried, or task-failed for the last) from the events' timestamps")
    func attemptTimes() {
        var counter = ExecutionCounter()
        counter.taskReceived(hostname: "w1", pid: 1, clock: 1, uuid: "a", retries: 0)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 2, uuid: "a", atMicros: 1_000)
        counter.taskRetried(hostname: "w1", uuid: "a", atMicros: 1_500)
        counter.taskReceived(hostname: "w1", pid: 1, clock: 4, uuid: "a", retries: 1, etaMicros: 101_500)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 5, uuid: "a", atMicros: 101_700)
        // A duplicate start of the same attempt elsewhere keeps the first start's time.
        counter.taskStarted(hostname: "w2", pid: 2, clock: 9, uuid: "a", atMicros: 101_900)
        counter.taskFailed(hostname: "w1", uuid: "a", atMicros: 102_000)
        #expect(counter.attemptTimes(uuid: "a", retries: 0) == (1_000, 1_500))
        #expect(counter.attemptTimes(uuid: "a", retries: 1) == (101_700, 102_000))
        #expect(counter.dueMicros(uuid: "a", retries: 1) == 101_500)
        #expect(counter.attemptTimes(uuid: "a", retries: 2) == (nil, nil))
        #expect(counter.attemptTimes(uuid: "b", retries: 0) == (nil, nil))
    }

    @Test("a task-started read after the next attempt's task-received still counts for the attempt that started")
    func startedAfterNextReceived() {
        // Celery's prefork parent sends task-started when it reads the child's accept: a fast
        // body's retry can be received by the same worker first.
        var counter = ExecutionCounter()
        counter.taskReceived(hostname: "w1", pid: 1, clock: 1, uuid: "a", retries: 0)
        counter.taskReceived(hostname: "w1", pid: 1, clock: 2, uuid: "a", retries: 1)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 3, uuid: "a", atMicros: 1_000)
        counter.taskRetried(hostname: "w1", uuid: "a", atMicros: 3_000)
        counter.taskStarted(hostname: "w1", pid: 1, clock: 5, uuid: "a", atMicros: 5_000)
        #expect(counter.duplicates == 0 && counter.started == 2)
        #expect(counter.attemptTimes(uuid: "a", retries: 0) == (1_000, 3_000))
        #expect(counter.attemptTimes(uuid: "a", retries: 1).startedAtMicros == 5_000)
        // A third start of the same worker is a duplicate of its latest attempt.
        counter.taskStarted(hostname: "w1", pid: 1, clock: 7, uuid: "a", atMicros: 7_000)
        #expect(counter.duplicates == 1)
        #expect(counter.attemptTimes(uuid: "a", retries: 1).startedAtMicros == 5_000)
    }

    @Test("a task-failed for an attempt never received is not recorded")
    func failedUnknown() {
        var counter = ExecutionCounter()
        counter.taskFailed(hostname: "w1", uuid: "a", atMicros: 5)
        #expect(counter.attemptTimes(uuid: "a", retries: 0) == (nil, nil))
    }
}
