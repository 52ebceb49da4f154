/// Kombu's Redis priority emulation: one Redis list per priority step.
///
/// A message with priority p is clamped to 0…9 and goes to the highest step ≤ p (steps default
/// `[0, 3, 6, 9]`); step 0 is the bare queue name, any other step is `queue + "\u{06}\u{16}" + step`
/// (captures 07, 08, 11, 20). Lower steps are consumed first: for Redis, 0 is the *highest* priority.
public enum PriorityQueueKeys {
    public static let defaultSteps = [0, 3, 6, 9]
    public static let separator = "\u{06}\u{16}"
    public static let minPriority = 0
    public static let maxPriority = 9

    /// The step a priority maps to (Kombu's `bisect`; nil/absent priority is 0). Like Kombu, a
    /// priority below the first step wraps to the last step (Python's `steps[-1]`).
    public static func step(forPriority priority: Int?, steps: [Int] = defaultSteps) -> Int {
        guard let last = steps.last else { return 0 }
        let p = min(max(priority ?? 0, minPriority), maxPriority)
        var chosen = last
        var found = false
        for s in steps where s <= p {
            chosen = s
            found = true
        }
        return found ? chosen : last
    }

    /// The Redis list a message with `priority` is LPUSHed to.
    public static func listKey(queue: String, priority: Int?, steps: [Int] = defaultSteps,
                               separator: String = separator) -> String {
        key(queue: queue, step: step(forPriority: priority, steps: steps), separator: separator)
    }

    /// All lists of one queue, lowest step (= consumed first) first.
    public static func allKeys(queue: String, steps: [Int] = defaultSteps, separator: String = separator) -> [String] {
        steps.map { key(queue: queue, step: $0, separator: separator) }
    }

    /// The key order of Kombu's BRPOP over several queues: step-major (every queue's step 0, then
    /// every queue's step 3, ...), queues in the given (rotating) order.
    public static func brpopKeys(queues: [String], steps: [Int] = defaultSteps, separator: String = separator) -> [String] {
        var keys: [String] = []
        keys.reserveCapacity(queues.count * steps.count)
        for s in steps {
            for q in queues { keys.append(key(queue: q, step: s, separator: separator)) }
        }
        return keys
    }

    private static func key(queue: String, step: Int, separator: String) -> String {
        step == 0 ? queue : queue + separator + String(step)
    }
}
