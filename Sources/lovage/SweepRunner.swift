import Foundation
import Reports
import Scenarios

/// Runs one `lovage simulate --figures-only --seeds … --set …` process per configuration, `jobs`
/// at a time, and returns each configuration's summaries in seed order. Processes rather than
/// threads: each simulation is single-threaded and owns its memory, so two cores run two at full
/// speed with nothing shared. One process per configuration rather than per run: its seeds share
/// the process start and the parsed scenario.
///
/// After each seed's summary arrives, `stop` sees the configuration's summaries so far; when it
/// says the configuration can no longer meet its SLOs, the process is ended and the remaining
/// seeds are not run. The decision reads only that configuration's own summaries in seed order,
/// so which seeds run never depends on thread scheduling: the same inputs give the same plan.
struct SweepRunner {
    let file: String
    let configurations: [[ScenarioOverride]]
    let seeds: [UInt64]
    let jobs: Int
    let showProgress: Bool
    let stop: @Sendable ([RunSummary]) -> Bool

    func run() throws -> [[RunSummary]] {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let progress = SweepProgress(count: configurations.count)
        let started = Date()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = jobs
        let total = configurations.count
        for (index, settings) in configurations.enumerated() {
            queue.addOperation {
                let outcome = Result { try simulate(settings: settings, executable: executable) }
                let done = progress.record(outcome, at: index)
                if showProgress {
                    let elapsed = Date().timeIntervalSince(started)
                    let remaining = elapsed / Double(done) * Double(total - done)
                    FileHandle.standardError.write(Data(String(format: "\r\u{1B}[Ksimulated %d/%d configurations (up to %d seeds each), %.0f s elapsed, ~%.0f s left",
                                                               done, total, seeds.count, elapsed, remaining).utf8))
                }
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        return try progress.results.map { try $0!.get() }
    }

    private func simulate(settings: [ScenarioOverride], executable: String) throws -> [RunSummary] {
        let named = settings.isEmpty ? "the scenario as written" : "configuration \(settings.map(\.description).joined(separator: " "))"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // Figures only: the plan reads no timeline and no per-run files.
        process.arguments = ["simulate", file, "--figures-only", "--seeds", seeds.map(String.init).joined(separator: ",")]
            + settings.flatMap { ["--set", $0.description] }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Standard error is read beside standard output so neither pipe can fill and block the child.
        let errorText = PipeCollector(errors.fileHandleForReading)
        var summaries: [RunSummary] = []
        var buffer = Data()
        var stopped = false
        let decoder = SummaryFiles.decoder()
        reading: while true {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = Data(buffer[buffer.startIndex..<newline])
                buffer = Data(buffer[buffer.index(after: newline)...])
                do { summaries.append(try decoder.decode(RunSummary.self, from: line)) } catch {
                    process.terminate()
                    process.waitUntilExit()
                    throw PlanError("\(named): unreadable summary: \(error)")
                }
                if summaries.count < seeds.count, stop(summaries) {
                    stopped = true
                    process.terminate()
                    break reading
                }
            }
        }
        process.waitUntilExit()
        let text = errorText.text()
        if stopped { return summaries }
        guard process.terminationStatus == 0, summaries.count == seeds.count else {
            throw PlanError("\(named): lovage simulate exited \(process.terminationStatus) after \(summaries.count) of \(seeds.count) seeds: \(text)")
        }
        return summaries
    }
}

/// Reads a pipe to its end on a thread of its own.
final class PipeCollector: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    /// Waits for the end of the pipe; what was written to it.
    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}

/// The sweep's results as they come in from the worker threads.
final class SweepProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<[RunSummary], Error>?]
    private var done = 0

    init(count: Int) { stored = Array(repeating: nil, count: count) }

    /// Stores one configuration's outcome; returns how many are done.
    func record(_ outcome: Result<[RunSummary], Error>, at index: Int) -> Int {
        lock.withLock {
            stored[index] = outcome
            done += 1
            return done
        }
    }

    var results: [Result<[RunSummary], Error>?] { lock.withLock { stored } }
}

struct PlanError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
