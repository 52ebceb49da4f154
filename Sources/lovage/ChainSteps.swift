import ArgumentParser
import CeleryWire
import Foundation

/// `lovage enqueue --then NAME[:ARGS_JSON]`: the rest of a chain, as Celery's client sends it
/// (celery/canvas.py `_chain.run` → `prepare_steps`): every later task frozen with its own id, and
/// the first message's `embed.chain` listing them last-first, because the worker takes the next
/// step with `chain.pop()` (capture 15-chain-add-add).
struct ChainSteps {
    struct Step {
        var name: String
        var args: [JSONValue]
        var id: String
    }

    var steps: [Step]

    /// Parses each `--then` value; `replyTo` is the first message's, which Celery copies into
    /// every frozen step's options.
    init(_ values: [String], replyTo: String?, newID: () -> String = { UUID().uuidString.lowercased() }) throws {
        var steps: [Step] = []
        for (index, value) in values.enumerated() {
            let name: Substring
            var args: [JSONValue] = []
            if let colon = value.firstIndex(of: ":") {
                name = value[..<colon]
                let text = String(value[value.index(after: colon)...])
                let parsed: JSONValue
                do { parsed = try JSONValue.parse(text) } catch {
                    throw ValidationError("--then #\(index + 1) (\(value)): arguments: \(error.reason)")
                }
                guard case .array(let list) = parsed else {
                    throw ValidationError("--then #\(index + 1) (\(value)): arguments must be a JSON array, got \(parsed.typeName)")
                }
                args = list
            } else {
                name = Substring(value)
            }
            guard !name.isEmpty, !name.contains(where: \.isWhitespace) else {
                throw ValidationError("--then #\(index + 1) (\(value)): expected a task name, e.g. lovage.add or lovage.add:[10]")
            }
            steps.append(Step(name: String(name), args: args, id: newID()))
        }
        self.steps = steps
        self.replyTo = replyTo
    }

    private let replyTo: String?

    /// `embed.chain`: null for a lone task, else the signatures of the later steps, last first.
    var embedJSON: JSONValue {
        guard !steps.isEmpty else { return .null }
        return .array(steps.reversed().map { step in
            var options: JSONObject = ["task_id": .string(step.id)]
            if let replyTo { options.set(.string(replyTo), forKey: "reply_to") }
            return .object([
                "task": .string(step.name), "args": .array(step.args), "kwargs": .object([:]),
                "options": .object(options), "subtask_type": .null, "immutable": .bool(false),
            ])
        })
    }
}
