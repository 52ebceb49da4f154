import Benchmark
import CJemallocAllocator

/// The configuration every micro-benchmark of this package runs with: what is measured, what is
/// gated and with what tolerance.
///
/// Only `mallocCountTotal` is measured. The machine these run on is shared (two cores, other builds
/// running beside them), so wall-clock and CPU figures move by tens of percent from one run to the
/// next, while the number of allocations a piece of code makes is exactly repeatable for a given
/// build and toolchain. A benchmark that declares no other metric cannot fail on noise.
///
/// The gate compares each benchmark's p90 malloc count with the value committed in
/// `Benchmarks/Micro/Thresholds/<Suite>.<Benchmark>.p90.json` (written by
/// `swift package benchmark thresholds update`, which `Benchmarks/micro-benchmarks.sh --update`
/// runs). The tolerance is zero both ways: one allocation more is a regression, one fewer is an
/// improvement that fails the check until the thresholds are refreshed and committed with the change
/// that earned it — the same rule as the simulator's `results/baselines/`.
///
/// The gated figure is the p90, not the maximum: a rare iteration can allocate one block less or
/// more than the others (`Simulator.run` measures 112 instead of 113 in roughly one iteration out
/// of a few hundred), and the p90 does not move for it.
///
/// The allocator is jemalloc, linked into every suite (`CJemallocAllocator`), as it is into the
/// lovage executable. With glibc's malloc the count itself moves from iteration to iteration:
/// glibc hands out a chunk larger than asked when the rest of a free chunk is too small to split
/// off, `malloc_usable_size` reports it, and Swift's `Array` takes that as its capacity, so whether
/// an array that grows by appends needs one more reallocation depends on the heap's free lists
/// (`Simulator.run` measured 136-140 under glibc). jemalloc's usable size is its size class, a
/// function of the request alone: the same run makes the same allocations in every iteration.
///
/// package-benchmark keeps samples in an HDR histogram with three significant digits, so counts up
/// to 2,047 are exact and larger ones are rounded to buckets of 2, 4, 8, ... Each benchmark here is
/// sized to stay below 2,048 allocations per iteration, where a single extra malloc shows.
public enum MallocGate {
    /// Zero tolerance on the p90 malloc count, absolute and relative.
    public static var exact: BenchmarkThresholds { BenchmarkThresholds(relative: [.p90: 0], absolute: [.p90: 0]) }

    /// `mallocCountTotal` only, gated by `exact`. A few warm-up iterations let one-time work (type
    /// metadata, lazily grown buffers, option caches) happen before anything is counted; a second of
    /// iterations (at most 1,000) gives a p90 that no outlier moves.
    public static var configuration: Benchmark.Configuration {
        requireJemalloc()
        return Benchmark.Configuration(
            metrics: [.mallocCountTotal],
            warmupIterations: 5,
            maxDuration: .seconds(1),
            maxIterations: 1_000,
            thresholds: [.mallocCountTotal: exact]
        )
    }

    /// Stops a suite that would count glibc's allocations: jemalloc answers `mallctl("version")`
    /// only when it is the process's allocator, linked in.
    static func requireJemalloc() {
        var version: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        let status = mallctl("version", &version, &size, nil, 0)
        precondition(status == 0 && version != nil,
                     "the micro-benchmarks count jemalloc's allocations, and jemalloc is not this process's allocator (mallctl: \(status))")
    }
}
