import Benchmark
import CeleryWire
import MallocGate

/// The wire codec on a real Celery message: what the live worker does to every message it takes
/// from Redis (decode) and to every message it writes back (encode: retries, restores, `enqueue`).
let benchmarks: @Sendable () -> Void = {
    // Decoding parses the Kombu envelope, base64-decodes the body and parses `[args, kwargs, embed]`,
    // keeping the key layout so an untouched message re-encodes to Python's bytes.
    Benchmark("TaskMessage.decode", configuration: MallocGate.configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try TaskMessage.decode(capturedAddTaskMessage))
        }
    }

    // Encoding the decoded message writes the envelope back in Kombu's key order with the body
    // base64-encoded again. The setup checks the bytes are the captured ones, so the benchmark
    // measures the codec doing its real job, not an error path.
    Benchmark("TaskMessage.encode", configuration: MallocGate.configuration) { (benchmark: Benchmark, message: TaskMessage) in
        for _ in benchmark.scaledIterations {
            blackHole(message.encode())
        }
    } setup: {
        let message = try TaskMessage.decode(capturedAddTaskMessage)
        guard message.encode() == capturedAddTaskMessage else {
            throw CodecMismatch(description: "TaskMessage.encode() no longer reproduces the captured bytes")
        }
        return message
    }
}

/// Setup found the codec changed behaviour; the benchmark would measure something else.
struct CodecMismatch: Error, CustomStringConvertible {
    let description: String
}
