/// The Redis result backend's chord join, without I/O (celery/backends/redis.py
/// `on_chord_part_return` with `result_chord_ordered=True`, the default): each header member that
/// ends adds `encode([1, tid, state, encode_result(result)])` to the sorted set
/// `celery-taskset-meta-<gid>.j` at score `group_index`, counts it (ZCOUNT), reads `.t` (the
/// size adjustment) and `.s` (the size), and refreshes the three keys' expiry; when the count
/// reaches size + adjustment the members' entries are read in order (ZRANGE 0 -1) and the body is
/// applied with their results — unless one ended in FAILURE or REVOKED (`PROPAGATE_STATES`), which
/// makes `ChordError("Dependency <tid> raised <repr>")` the body's FAILURE and calls the body's
/// errbacks (`chord_error_from_stack`). After the body is applied the keys are deleted; after a
/// ChordError they are left to expire, as Celery leaves them.
public enum ChordJoin {
    /// `celery-taskset-meta-<gid>.j`, `.t`, `.s` (`get_key_for_group`).
    public static func joinKey(_ groupID: String) -> String { "celery-taskset-meta-\(groupID).j" }
    public static func totalDiffKey(_ groupID: String) -> String { "celery-taskset-meta-\(groupID).t" }
    public static func sizeKey(_ groupID: String) -> String { "celery-taskset-meta-\(groupID).s" }
    /// `.d`: the members already counted (`"<tid>:<group_index>"`), so a redelivered member counts once.
    public static func dedupeKey(_ groupID: String) -> String { "celery-taskset-meta-\(groupID).d" }
    /// `.c`: the dispatch claim (a token while one worker applies the body, then `done`).
    public static func claimKey(_ groupID: String) -> String { "celery-taskset-meta-\(groupID).c" }
    /// `celery-taskset-meta-<gid>`: a saved GroupResult (`{"result": [as_tuple, ...]}`).
    public static func groupKey(_ groupID: String) -> String { "celery-taskset-meta-\(groupID)" }

    /// The score a member is added at: its `group_index`, `+inf` when it has none.
    public static func score(groupIndex: Int?) -> String { groupIndex.map(String.init) ?? "+inf" }

    /// `encode_result(result, state)`: the value for SUCCESS, the exception dict for the others.
    public static func encodeResult(state: String, result: JSONValue?, exception: ExceptionInfo?) -> JSONValue {
        if let exception, state != "SUCCESS" { return exception.json }
        return result ?? .null
    }

    /// One member's entry: `json.dumps([1, tid, state, encoded result])`.
    public static func entry(taskID: String, state: String, encodedResult: JSONValue) -> [UInt8] {
        JSONValue.array([.int(1), .string(taskID), .string(state), encodedResult]).serialized()
    }

    /// A decoded entry.
    public struct Entry: Sendable, Equatable {
        public var taskID: String
        public var state: String
        public var result: JSONValue
    }

    public static func decodeEntry(_ bytes: [UInt8]) throws(WireError) -> Entry {
        let value = try JSONValue.parse(bytes)
        guard case .array(let a) = value, a.count == 4, case .string(let tid) = a[1], case .string(let state) = a[2] else {
            throw WireError(.badValue, "chord entry: expected [1, task_id, state, result], got \(value.typeName)")
        }
        return Entry(taskID: tid, state: state, result: a[3])
    }

    /// What the member that just returned must do.
    public enum Decision: Sendable, Equatable {
        /// No size is set (`.s` absent): not a chord the backend knows; nothing to do.
        case notAChord
        /// Other members have still to return.
        case wait
        /// Every member has returned: read the entries (ZRANGE) and call `outcome(entries:)`.
        case complete
    }

    /// Whether the join is complete: `readyCount` members counted, `totalDiff` from `.t`, `size`
    /// from `.s`. On Redis, Celery 5.7's part-return script applies this same rule inside Redis
    /// (it takes the dispatch claim only then; LiveWorker's `ChordScripts`); this is the rule for
    /// a join counted outside Redis.
    public static func decide(readyCount: Int, totalDiff: Int?, size: Int?) -> Decision {
        guard let size else { return .notAChord }
        return readyCount == size + (totalDiff ?? 0) ? .complete : .wait
    }

    /// The body's fate once complete.
    public enum Outcome: Sendable, Equatable {
        /// Apply the body with the members' results, in group_index order.
        case fire([JSONValue])
        /// A member failed: store this error as the body's FAILURE and call its errbacks.
        case fail(ExceptionInfo)
    }

    /// `_unpack_chord_result` over the entries in score order: the first member in FAILURE or
    /// REVOKED makes `ChordError("Dependency <tid> raised <repr(exc)>")`.
    public static func outcome(entries: [[UInt8]]) throws(WireError) -> Outcome {
        var results: [JSONValue] = []
        for bytes in entries {
            let entry = try decodeEntry(bytes)
            if entry.state == "FAILURE" || entry.state == "REVOKED" {
                return .fail(chordError(dependency: entry.taskID, raised: entry.result))
            }
            results.append(entry.result)
        }
        return .fire(results)
    }

    /// `ChordError(f"Dependency {tid} raised {retval!r}")` as Celery stores it.
    public static func chordError(dependency taskID: String, raised encoded: JSONValue) -> ExceptionInfo {
        ExceptionInfo(excType: "ChordError", excMessage: [.string("Dependency \(taskID) raised \(exceptionRepr(encoded))")],
                      excModule: "celery.exceptions")
    }

    /// Python's repr of the exception `exception_to_python` rebuilds: `ValueError('boom')`.
    public static func exceptionRepr(_ encoded: JSONValue) -> String {
        guard let info = try? ExceptionInfo.decode(encoded) else { return PythonRepr.repr(encoded) }
        return "\(info.excType)(\(info.excMessage.map(PythonRepr.repr).joined(separator: ", ")))"
    }
}
