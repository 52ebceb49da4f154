import Foundation
import Reports
import WorkerCore

/// The run's output-only work on a second thread: the trace hash, the trace file's lines (with
/// `--trace`) and the HDR histograms of queue wait, run time and latency, with the timeline's per-interval
/// queue-wait figures. None of it feeds back into the simulation's decisions, so the event loop
/// only writes a plain 48-byte record per item into a chunk and goes on.
///
/// Determinism: one producer (the simulator's thread) fills chunks in order and one consumer
/// processes them in exactly that order, each record as the simulator would have in line; the
/// hash and the histograms are touched only by the consumer until `finish()` joins it, and read
/// only after. So the figures and the hash are the same as a single-threaded run's, bit for bit.
///
/// Memory stays bounded: `chunkCount` chunks of `chunkCapacity` records (1.5 MiB, and with a trace
/// file up to 5 MiB of its lines); the producer waits when all are full. One lock and condition
/// round per chunk, not per record. A run of fewer than `chunkCapacity` records starts no thread:
/// `finish()` processes its one chunk in line, the same code in the same order.
final class FigureThread: @unchecked Sendable {
    static let chunkCapacity = 4096
    static let chunkCount = 8

    /// One item of output-only work: plain words, no references (a string that is not small goes
    /// to the chunk's `strings`, and the record names its index).
    struct Item {
        enum Code: UInt8 { case trace, traceLine, wait, runTime, succeededRunTime, latency, sample }
        var code: Code
        /// The trace kind's case number (`.trace`).
        var kind: UInt8 = 0
        /// `.trace`: which of the two fields are hashed (bits 0, 1) and held in `strings` (bits 2, 3).
        /// (`.traceLine`: the record is `lines[w0]`.)
        var flags: UInt8 = 0
        /// The task type index (`.wait`, `.runTime`, `.succeededRunTime`; -1: none).
        var type: Int32 = -1
        /// Microseconds: the record's time since the Unix epoch (`.trace`) or the span.
        var micros: Int64 = 0
        var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    }

    /// What the thread produced, read once it has finished.
    struct Figures {
        var hash = TraceHash()
        var queueWait = DurationHistogram()
        var runTime = DurationHistogram()
        var latency = DurationHistogram()
        var typeQueueWait: [DurationHistogram] = []
        var typeRunTime: [DurationHistogram] = []
        /// The bodies that succeeded (`SimulationOptions.succeededRunTimes`; empty without it).
        var succeededRunTime = DurationHistogram()
        var typeSucceededRunTime: [DurationHistogram] = []
        var interval = CoarseHistogram()
        /// The interval p50 and p99 at each `.sample`, in order (one per timeline row).
        var intervalPercentiles: [(p50: UInt64, p99: UInt64)] = []
    }

    /// The chunks' records, one allocation: chunk k's are `chunkCapacity` from `chunk(k)`.
    private let storage: UnsafeMutablePointer<Item>
    private let chunkStrings: UnsafeMutablePointer<[String]>
    private let chunkLines: UnsafeMutablePointer<[TraceLine]>
    /// The trace file (`--trace`), written by the thread and closed by `finish()`.
    private var traceFile: UnsafeMutablePointer<FILE>?
    private let epoch: Instant
    let writesTrace: Bool
    private let chunkCounts: UnsafeMutablePointer<Int>
    // The producer's side.
    /// `TraceHash.smallStrings`, read here without the global's once-check per record.
    private let smallStrings = TraceHash.smallStrings
    private var current: UnsafeMutablePointer<Item>
    private var currentCount = 0
    private var published = 0
    // Shared, under `lock`.
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// `notEmpty` and `notFull`, one allocation.
    private let conditions = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 2)
    private var notEmpty: UnsafeMutablePointer<pthread_cond_t> { conditions }
    private var notFull: UnsafeMutablePointer<pthread_cond_t> { conditions + 1 }
    private var sharedPublished = 0
    private var sharedConsumed = 0
    private var done = false
    private var thread: pthread_t?
    // The consumer's side, and the caller's after `finish()`.
    private var result: Figures?
    /// Whether a full chunk goes to a thread (started with the first) or is processed in line.
    private let threaded: Bool
    /// The figures and trace writer of in-line processing (no thread), until `finish()`.
    private var inlineFigures: Figures?
    private var inlineWriter: TraceLineWriter?

    /// Sets up the chunks (the thread starts with the first full one, `startThread`); with a path,
    /// it opens the trace file first (an error names it).
    /// `threaded` false keeps all of it on the caller's thread (runs that come many at a time, one
    /// per core, gain nothing from a second thread each).
    init(tracePath: String?, epoch: Instant, threaded: Bool = true) throws {
        self.epoch = epoch
        self.threaded = threaded
        if let tracePath {
            guard let handle = fopen(tracePath, "w") else {
                throw SimulationError.cannotWrite(path: tracePath, reason: String(cString: strerror(errno)))
            }
            setvbuf(handle, nil, _IOFBF, 1 << 16)
            traceFile = handle
        }
        writesTrace = traceFile != nil
        storage = .allocate(capacity: Self.chunkCount * Self.chunkCapacity)
        chunkStrings = .allocate(capacity: Self.chunkCount)
        chunkLines = .allocate(capacity: Self.chunkCount)
        chunkCounts = .allocate(capacity: Self.chunkCount)
        for index in 0..<Self.chunkCount {
            (chunkStrings + index).initialize(to: [])
            (chunkLines + index).initialize(to: [])
            (chunkCounts + index).initialize(to: 0)
        }
        current = storage
        pthread_mutex_init(lock, nil)
        pthread_cond_init(notEmpty, nil)
        pthread_cond_init(notFull, nil)
    }

    /// Starts the thread when the first chunk is full: a run of fewer records (a test's, a short
    /// plan's) processes its one chunk in line at `finish()` and never starts one.
    private func startThread() {
        var handle = pthread_t()
        let context = Unmanaged.passUnretained(self).toOpaque()
        let status = pthread_create(&handle, nil, { context in
            Unmanaged<FigureThread>.fromOpaque(context!).takeUnretainedValue().consume()
            return nil
        }, context)
        precondition(status == 0, "cannot start the simulator's figure thread: error \(status)")
        thread = handle
    }

    deinit {
        _ = finish()
        chunkStrings.deinitialize(count: Self.chunkCount)
        chunkLines.deinitialize(count: Self.chunkCount)
        storage.deallocate(); chunkStrings.deallocate(); chunkLines.deallocate(); chunkCounts.deallocate()
        pthread_cond_destroy(notFull); pthread_cond_destroy(notEmpty); pthread_mutex_destroy(lock)
        lock.deallocate(); conditions.deallocate()
    }

    // MARK: The producer (the simulator's thread)

    @inline(__always)
    private func append(_ item: Item) {
        assert(result == nil, "a figure recorded after the figure thread finished")
        if currentCount == Self.chunkCapacity { publishCurrent() }
        (current + currentCount).initialize(to: item)
        currentCount += 1
    }

    /// A trace record's hashed part: its time, kind and the fields named (`TraceRecorder.record`).
    @inline(__always)
    func trace(micros: Int64, kindNumber: Int, _ value1: String?, _ value2: String?) {
        var item = Item(code: .trace, kind: UInt8(truncatingIfNeeded: kindNumber), micros: micros)
        if let value1 {
            item.flags |= 1
            if smallStrings && TraceHash.isSmallLayout(value1) {
                (item.w0, item.w1) = unsafeBitCast(value1, to: (UInt64, UInt64).self)
            } else {
                item.flags |= 4
                item.w0 = UInt64(keep(value1))
            }
        }
        if let value2 {
            item.flags |= 2
            if smallStrings && TraceHash.isSmallLayout(value2) {
                (item.w2, item.w3) = unsafeBitCast(value2, to: (UInt64, UInt64).self)
            } else {
                item.flags |= 8
                item.w2 = UInt64(keep(value2))
            }
        }
        append(item)
    }

    /// A trace record for the file (and the hash), formatted and written on the thread.
    func traceLine(micros: Int64, kindNumber: Int, _ line: TraceLine) {
        if currentCount == Self.chunkCapacity { publishCurrent() }
        let slot = published % Self.chunkCount
        chunkLines[slot].append(line)
        append(Item(code: .traceLine, kind: UInt8(truncatingIfNeeded: kindNumber), micros: micros,
                    w0: UInt64(chunkLines[slot].count - 1)))
    }

    /// A string the current chunk's trace record refers to (by the returned index).
    private func keep(_ text: String) -> Int {
        if currentCount == Self.chunkCapacity { publishCurrent() }
        let slot = published % Self.chunkCount
        chunkStrings[slot].append(text)
        return chunkStrings[slot].count - 1
    }

    /// An attempt's queue wait: the run's, its type's and the timeline interval's histograms.
    func wait(micros: Int64, type: Int) { append(Item(code: .wait, type: Int32(type), micros: micros)) }
    func runTime(micros: Int64, type: Int?) { append(Item(code: .runTime, type: Int32(type ?? -1), micros: micros)) }
    func succeededRunTime(micros: Int64, type: Int?) { append(Item(code: .succeededRunTime, type: Int32(type ?? -1), micros: micros)) }
    func latency(micros: Int64) { append(Item(code: .latency, micros: micros)) }
    /// A timeline row: its interval percentiles are the interval histogram's now, which then restarts.
    func sample() { append(Item(code: .sample)) }

    private func chunk(_ slot: Int) -> UnsafeMutablePointer<Item> { storage + slot * Self.chunkCapacity }

    /// Without a thread (`threaded` false, or before the first full chunk): the first chunk's
    /// records processed on the caller's thread, then the chunk emptied for reuse.
    private func processInline() {
        if inlineFigures == nil { inlineFigures = Figures() }
        if inlineWriter == nil, let traceFile { inlineWriter = TraceLineWriter(file: traceFile, epoch: epoch) }
        Self.process(storage, count: currentCount, strings: chunkStrings, lines: chunkLines,
                     into: &inlineFigures!, writer: &inlineWriter)
        chunkStrings[0].removeAll(keepingCapacity: true)
        chunkLines[0].removeAll(keepingCapacity: true)
        currentCount = 0
    }

    private func publishCurrent() {
        if thread == nil {
            guard threaded else { processInline(); return }
            startThread()
        }
        chunkCounts[published % Self.chunkCount] = currentCount
        pthread_mutex_lock(lock)
        sharedPublished += 1
        published = sharedPublished
        pthread_cond_signal(notEmpty)
        while sharedPublished - sharedConsumed >= Self.chunkCount { pthread_cond_wait(notFull, lock) }
        pthread_mutex_unlock(lock)
        current = chunk(published % Self.chunkCount)
        currentCount = 0
    }

    /// Hands over what is left, waits for the thread to process everything, and returns the
    /// figures (the same at every later call).
    func finish() -> Figures {
        if let result { return result }
        guard let thread else {
            // No thread: what is left is in the first chunk; process it here, in order.
            processInline()
            result = inlineFigures ?? Figures()
            inlineFigures = nil
            inlineWriter = nil
            closeTraceFile()
            return result!
        }
        if currentCount > 0 { publishCurrent() }
        pthread_mutex_lock(lock)
        done = true
        pthread_cond_signal(notEmpty)
        pthread_mutex_unlock(lock)
        pthread_join(thread, nil)
        self.thread = nil
        closeTraceFile()
        return result!
    }

    private func closeTraceFile() {
        if let traceFile { fclose(traceFile) }
        traceFile = nil
    }

    // MARK: The consumer

    /// The figures live in this thread's own variable while it runs, not in the object: the
    /// producer writes its fields (`currentCount`, …) beside them, and the two cores would pass
    /// the cache line back and forth at every record.
    private func consume() {
        var figures = Figures()
        var writer = traceFile.map { TraceLineWriter(file: $0, epoch: epoch) }
        defer { result = figures }
        var consumed = 0
        while true {
            pthread_mutex_lock(lock)
            while sharedPublished == consumed && !done { pthread_cond_wait(notEmpty, lock) }
            let available = sharedPublished
            pthread_mutex_unlock(lock)
            if available == consumed { return }
            let slot = consumed % Self.chunkCount
            Self.process(chunk(slot), count: chunkCounts[slot], strings: chunkStrings + slot,
                         lines: chunkLines + slot, into: &figures, writer: &writer)
            chunkStrings[slot].removeAll(keepingCapacity: true)
            chunkLines[slot].removeAll(keepingCapacity: true)
            consumed += 1
            pthread_mutex_lock(lock)
            sharedConsumed = consumed
            pthread_cond_signal(notFull)
            pthread_mutex_unlock(lock)
        }
    }

    private static func process(_ items: UnsafeMutablePointer<Item>, count: Int,
                                strings: UnsafeMutablePointer<[String]>, lines: UnsafeMutablePointer<[TraceLine]>,
                                into result: inout Figures, writer: inout TraceLineWriter?) {
        for index in 0..<count {
            let item = items[index]
            switch item.code {
            case .trace:
                result.hash.mix(UInt64(bitPattern: item.micros))
                result.hash.mix(kindNumber: Int(item.kind))
                if item.flags & 1 != 0 {
                    if item.flags & 4 != 0 { result.hash.mix(strings.pointee[Int(item.w0)]) }
                    else { result.hash.mix(smallFirst: item.w0, second: item.w1) }
                }
                if item.flags & 2 != 0 {
                    if item.flags & 8 != 0 { result.hash.mix(strings.pointee[Int(item.w2)]) }
                    else { result.hash.mix(smallFirst: item.w2, second: item.w3) }
                }
            case .traceLine:
                lines.pointee.withUnsafeBufferPointer { lines in
                    let line = lines[Int(item.w0)]
                    result.hash.mix(UInt64(bitPattern: item.micros))
                    result.hash.mix(kindNumber: Int(item.kind))
                    if line.name1.utf8CodeUnitCount > 0 { result.hash.mix(line.value1) }
                    if line.name2.utf8CodeUnitCount > 0 { result.hash.mix(line.value2) }
                    writer?.write(micros: item.micros, kindNumber: Int(item.kind), line)
                }
            case .wait:
                let span = TimeSpan(microseconds: item.micros)
                result.queueWait.record(span)
                if item.type >= 0 { record(span, in: &result.typeQueueWait, at: Int(item.type)) }
                result.interval.record(microseconds: item.micros)
            case .runTime:
                let span = TimeSpan(microseconds: item.micros)
                result.runTime.record(span)
                if item.type >= 0 { record(span, in: &result.typeRunTime, at: Int(item.type)) }
            case .succeededRunTime:
                let span = TimeSpan(microseconds: item.micros)
                result.succeededRunTime.record(span)
                if item.type >= 0 { record(span, in: &result.typeSucceededRunTime, at: Int(item.type)) }
            case .latency:
                result.latency.record(TimeSpan(microseconds: item.micros))
            case .sample:
                result.intervalPercentiles.append((result.interval.value(atPercentile: 50),
                                                   result.interval.value(atPercentile: 99)))
                result.interval.reset()
            }
        }
    }

    private static func record(_ span: TimeSpan, in histograms: inout [DurationHistogram], at index: Int) {
        if index >= histograms.count { histograms += (histograms.count...index).map { _ in DurationHistogram() } }
        histograms[index].record(span)
    }
}
