import DequeModule
import Reports
import WorkerCore

/// The result backend's keys, modelled: one `celery-task-meta-<id>` per task, written with SETEX and
/// gone `result_expires` later. Keys are counted per second of expiry, so memory stays bounded by
/// `result_expires` in seconds, not by the number of tasks. A task's later writes (RETRY, then
/// SUCCESS) replace its key; the model keeps the first write's expiry, which can only undercount
/// the keys alive near the end of a run longer than `result_expires`.
struct ResultStoreModel {
    private struct Bucket {
        var expiresAt: Instant
        var keys: Int
        var bytes: Int64
    }

    let resultExpires: TimeSpan
    private var buckets: Deque<Bucket> = []
    private(set) var figures = RunSummary.ResultStoreFigures()

    init(resultExpires: TimeSpan) { self.resultExpires = resultExpires }

    mutating func stored(bytes: Int64, now: Instant) {
        expire(now: now)
        let second = now.microsecondsSinceEpoch / 1_000_000 * 1_000_000
        let expiresAt = Instant(microsecondsSinceEpoch: second) + resultExpires
        if let last = buckets.last, last.expiresAt == expiresAt {
            buckets[buckets.count - 1].keys += 1
            buckets[buckets.count - 1].bytes += bytes
        } else {
            buckets.append(Bucket(expiresAt: expiresAt, keys: 1, bytes: bytes))
        }
        figures.written += 1
        figures.liveKeys += 1
        figures.liveBytes += bytes
        figures.peakKeys = max(figures.peakKeys, figures.liveKeys)
        figures.peakBytes = max(figures.peakBytes, figures.liveBytes)
    }

    mutating func expire(now: Instant) {
        while let first = buckets.first, first.expiresAt <= now {
            buckets.removeFirst()
            figures.liveKeys -= first.keys
            figures.liveBytes -= first.bytes
        }
    }
}
