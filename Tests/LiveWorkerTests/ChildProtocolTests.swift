import CeleryWire
import Glibc
@testable import LiveWorker
import Testing
import WorkerCore

@Suite("The prefork parent and child's frames")
struct ChildProtocolTests {
    /// A frame's body, as `ChildFrameStream` hands it over: the length taken off.
    private func body(_ frame: [UInt8]) -> [UInt8] { Array(frame.dropFirst(4)) }

    private static let memory = ChildMemory(residentKiB: 51_200, taskAllocatedBytes: 8_388_608, allocatedBytes: 9_000_000,
                                            activeBytes: 9_500_000, residentBytes: 12_000_000)

    @Test("every outcome a body can have comes back as it was sent", arguments: [
        TaskBodyResult.success(.null),
        .success(.object(["rows": .array([.int(1), .double(2.5), .string("é\n\"")]), "ok": .bool(true)])),
        .failure(ErrorDescription(type: "ValueError", message: "bad input: 'x'", module: "builtins")),
        .retry(countdown: TimeSpan(microseconds: 1_500_000), error: ErrorDescription(type: "Retry", message: "later")),
        .retry(countdown: nil, error: ErrorDescription(type: "Retry", message: "")),
        .reject(requeue: true),
        .reject(requeue: false),
        .ignore,
    ])
    func outcomeRoundTrip(result: TaskBodyResult) {
        for memory in [nil, Self.memory] {
            let frame = ChildProtocol.outcome(execution: 42, result: result, residentKiB: 51_200, runtime: 0.000_123, memory: memory)
            #expect(ChildProtocol.decodeChildFrame(body(frame))
                    == .finished(execution: 42, result: result, residentKiB: 51_200, runtime: 0.000_123, memory: memory))
        }
    }

    @Test("a job carries the task's name, id, retries, args and kwargs")
    func jobRoundTrip() throws {
        let args: [JSONValue] = [.int(7), .string("naïve"), .array([]), .null]
        let kwargs: JSONObject = ["user": .object(["id": .int(3)]), "flag": .bool(false)]
        let frame = ChildProtocol.job(execution: UInt64.max, task: "shop.charge", id: "5d0c6f1e-0b5a-4c1f-9a43-3f1b2d7e9c10",
                                      retries: 3, argsJSON: JSONValue.array(args).serialized(), kwargsJSON: kwargs.serialized())
        let job = try #require(ChildProtocol.decodeJob(body(frame)))
        #expect(job == ChildProtocol.Job(execution: UInt64.max, task: "shop.charge", id: "5d0c6f1e-0b5a-4c1f-9a43-3f1b2d7e9c10",
                                         retries: 3, args: args, kwargs: kwargs))
    }

    @Test("ready and custom-state frames")
    func readyAndState() {
        #expect(ChildProtocol.decodeChildFrame(body(ChildProtocol.ready(pid: 31_337))) == .ready(pid: 31_337))
        let meta: JSONValue = .object(["done": .int(5), "total": .int(10)])
        #expect(ChildProtocol.decodeChildFrame(body(ChildProtocol.state(execution: 9, state: "PROGRESS", meta: meta)))
                == .state(execution: 9, state: "PROGRESS", metaJSON: meta.serializedString()))
    }

    @Test("a truncated, overlong or foreign frame decodes to nothing")
    func malformedFrames() {
        let outcome = body(ChildProtocol.outcome(execution: 1, result: .success(.string("done")), residentKiB: 10, runtime: 1,
                                                 memory: Self.memory))
        for cut in 0..<outcome.count {
            #expect(ChildProtocol.decodeChildFrame(Array(outcome.prefix(cut))) == nil, "cut at \(cut)")
        }
        #expect(ChildProtocol.decodeChildFrame(outcome + [0]) == nil)
        let job = body(ChildProtocol.job(execution: 1, task: "t", id: "i", retries: 0, argsJSON: Array("[]".utf8),
                                         kwargsJSON: Array("{}".utf8)))
        #expect(ChildProtocol.decodeChildFrame(job) == nil, "a job is not a child's message")
        #expect(ChildProtocol.decodeJob(outcome) == nil, "an outcome is not a job")
        let notArray = body(ChildProtocol.job(execution: 1, task: "t", id: "i", retries: 0, argsJSON: Array("{}".utf8),
                                              kwargsJSON: Array("{}".utf8)))
        #expect(ChildProtocol.decodeJob(notArray) == nil, "args must be a JSON array")
        #expect(ChildProtocol.decodeChildFrame([99, 1, 2]) == nil)
        #expect(ChildProtocol.decodeChildFrame([]) == nil)
    }

    @Test("the stream cuts frames that arrive split across reads, and ends at a length no frame has")
    func streamReassembles() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        var stream = ChildFrameStream(fd: fds[0])
        let first = ChildProtocol.ready(pid: 1)
        let second = ChildProtocol.outcome(execution: 2, result: .success(.string(String(repeating: "x", count: 100_000))),
                                           residentKiB: 1, runtime: 0)
        func send(_ bytes: ArraySlice<UInt8>) {
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count { offset += max(0, write(fds[1], buffer.baseAddress! + offset, buffer.count - offset)) }
            }
        }
        send(first[...])
        send(second[..<30_000])
        var drained = stream.drain()
        #expect(drained.frames == [body(first)])
        #expect(drained.end == nil)
        // A 100 KB frame passes the pipe's 64 KiB buffer in pieces: read what is there each time.
        var rest = second[30_000...]
        var frames: [[UInt8]] = []
        while !rest.isEmpty {
            let piece = rest.prefix(40_000)
            send(piece)
            rest = rest.dropFirst(piece.count)
            drained = stream.drain()
            frames += drained.frames
        }
        #expect(frames == [body(second)])
        send([0xFF, 0xFF, 0xFF, 0x7F, 1])
        drained = stream.drain()
        #expect(drained.frames.isEmpty)
        #expect(drained.end == .corrupt, "a length past the limit ends the stream")
        close(fds[1])
    }

    @Test("statm's resident field, in pages")
    func statmResidentPages() {
        func pages(_ text: String) -> Int {
            Array(text.utf8).withUnsafeBufferPointer { ChildProtocol.residentPages(statm: $0) }
        }
        #expect(pages("12345 678 90 1 0 345 0\n") == 678)
        #expect(pages("1 0 0 0 0 0 0\n") == 0)
        #expect(pages("12345") == 0)
        #expect(pages("") == 0)
        #expect(ChildProtocol.residentKiB() > 0, "this process has resident memory")
    }
}
