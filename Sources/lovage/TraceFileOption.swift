import ArgumentParser

/// `--trace` / `--no-trace` of `lovage simulate` and `lovage run --mode sim`.
///
/// The trace file is written only on request. Formatting and writing it cost more than the whole
/// run: the one-hour benchmark took 2.3 times as long with it and left 1.6 GB on disk (gzip -1
/// would still leave about 200 MB and cost more CPU time than the run; docs/performance.md has the
/// measurements). The trace hash is computed the same way whether the file is written or not, and
/// `lovage replay FILE --seed N --task ID --trace` regenerates one task's events from the seed.
struct TraceFileOption: ParsableArguments {
    @Flag(name: .customLong("trace"),
          help: "Also write trace.jsonl: one JSON line per event, about 450 bytes per task (1.6 GB for 3.6 M tasks). The trace hash is printed either way.")
    var writesTrace = false

    @Flag(name: .customLong("no-trace"),
          help: "Write no trace.jsonl: the default (kept for scripts written when the trace was written by default).")
    var noTrace = false

    func validate() throws {
        if writesTrace && noTrace { throw ValidationError("--trace and --no-trace contradict each other; give one of them") }
    }
}
