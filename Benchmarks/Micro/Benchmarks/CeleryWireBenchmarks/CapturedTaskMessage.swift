/// One Celery task message exactly as Celery 5.7 / Kombu 5.7 stored it in Redis: capture
/// `01-plain-args-apply_async.json` from `Tests/Fixtures/celery-wire/` (`add.apply_async((2, 3))`, the
/// LPUSH value, 932 bytes, no trailing newline). Copied here so the benchmark does not depend on
/// where the captures live; CeleryWireTests decodes the originals.
let capturedAddTaskMessage: [UInt8] = Array(
    #"{"body": "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "app.add", "id": "aa9c7612-0ed3-44ac-bd33-65214c675aad", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "aa9c7612-0ed3-44ac-bd33-65214c675aad", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", "origin": "gen12750@vm", "ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}}, "properties": {"correlation_id": "aa9c7612-0ed3-44ac-bd33-65214c675aad", "reply_to": "e4057292-16b1-3c14-b921-1ea7f31e8c06", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "2e69daaa-d13b-48f7-8511-8a231781f7f9"}}"#.utf8
)
