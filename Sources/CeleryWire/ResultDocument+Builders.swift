/// Builders producing the documents Celery 5.7's Redis backend writes for each state
/// (captures 50–56). Ready states (SUCCESS/FAILURE/REVOKED) carry `date_done`; the others write null,
/// as Celery does. `groupID`/`parentID` become `group_id`/`parent_id` between `date_done` and
/// `task_id`, only when set (Celery omits them otherwise). Times are microseconds since the epoch.
extension ResultDocument {
    public static func success(taskID: String, result: JSONValue, dateDone: Int64,
                               children: JSONValue = .array([]), groupID: String? = nil, parentID: String? = nil) -> ResultDocument {
        ResultDocument(status: TaskState.success.rawValue, result: result, traceback: nil, children: children,
                       dateDone: CeleryTimestamp.format(dateDone), taskID: taskID,
                       extra: lineage(groupID: groupID, parentID: parentID))
    }

    public static func failure(taskID: String, exception: ExceptionInfo, traceback: String?, dateDone: Int64,
                               children: JSONValue = .array([]), groupID: String? = nil, parentID: String? = nil) -> ResultDocument {
        ResultDocument(status: TaskState.failure.rawValue, result: exception.json, traceback: traceback, children: children,
                       dateDone: CeleryTimestamp.format(dateDone), taskID: taskID,
                       extra: lineage(groupID: groupID, parentID: parentID))
    }

    /// RETRY: `result` is the exception passed to `retry()`, `date_done` null.
    public static func retry(taskID: String, exception: ExceptionInfo, traceback: String?,
                             children: JSONValue = .array([]), groupID: String? = nil, parentID: String? = nil) -> ResultDocument {
        ResultDocument(status: TaskState.retry.rawValue, result: exception.json, traceback: traceback, children: children,
                       dateDone: nil, taskID: taskID, extra: lineage(groupID: groupID, parentID: parentID))
    }

    /// REVOKED: `TaskRevokedError(reason)` from `celery.exceptions` (reason "expired" for an expired
    /// message, "revoked" for revoke()), no traceback.
    public static func revoked(taskID: String, reason: String, dateDone: Int64,
                               groupID: String? = nil, parentID: String? = nil) -> ResultDocument {
        let exc = ExceptionInfo(excType: "TaskRevokedError", excMessage: [.string(reason)], excModule: "celery.exceptions")
        return ResultDocument(status: TaskState.revoked.rawValue, result: exc.json, traceback: nil, children: .array([]),
                              dateDone: CeleryTimestamp.format(dateDone), taskID: taskID,
                              extra: lineage(groupID: groupID, parentID: parentID))
    }

    /// STARTED (task_track_started): `result` = `{"pid", "hostname"}` of the executing worker process.
    public static func started(taskID: String, pid: Int, hostname: String,
                               groupID: String? = nil, parentID: String? = nil) -> ResultDocument {
        ResultDocument(status: TaskState.started.rawValue,
                       result: .object(["pid": .int(Int64(pid)), "hostname": .string(hostname)]),
                       traceback: nil, children: .array([]), dateDone: nil, taskID: taskID,
                       extra: lineage(groupID: groupID, parentID: parentID))
    }

    /// A custom state from `update_state(state=..., meta=...)`, e.g. PROGRESS; not ready, so no date_done.
    public static func custom(taskID: String, state: String, meta: JSONValue,
                              groupID: String? = nil, parentID: String? = nil) -> ResultDocument {
        ResultDocument(status: state, result: meta, traceback: nil, children: .array([]), dateDone: nil,
                       taskID: taskID, extra: lineage(groupID: groupID, parentID: parentID))
    }

    private static func lineage(groupID: String?, parentID: String?) -> JSONObject {
        var o = JSONObject()
        if let groupID { o.appendUnchecked("group_id", .string(groupID)) }
        if let parentID { o.appendUnchecked("parent_id", .string(parentID)) }
        return o
    }
}
