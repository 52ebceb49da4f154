import Testing
import CeleryWire

@Suite("Result backend documents (captures 50–56)")
struct ResultDocumentTests {
    static let captures = [
        "50-result-backend-STARTED", "51-result-backend-SUCCESS", "52-result-backend-FAILURE",
        "53-result-backend-RETRY", "54-result-backend-SUCCESS-with-children-chain-or-link",
        "55-result-backend-FAILURE-after-max-retries", "56-result-backend-REVOKED",
    ]

    @Test("decode and re-encode byte-identically", arguments: captures)
    func roundTrip(name: String) throws {
        let raw = try Captures.bytes(name + ".json")
        let doc = try ResultDocument.decode(raw)
        #expect(doc.encode() == raw, "\(text(doc.encode()))")
        #expect(doc.key == "celery-task-meta-" + doc.taskID)
    }

    @Test("typed helpers per state")
    func typedHelpers() throws {
        let started = try ResultDocument.decode(Captures.bytes("50-result-backend-STARTED.json"))
        #expect(started.state == .started)
        let info = try started.startedInfo()
        #expect(info.pid == 15070 && info.hostname == "celery@vm")
        #expect(started.dateDone == nil)

        let failure = try ResultDocument.decode(Captures.bytes("52-result-backend-FAILURE.json"))
        #expect(try failure.exceptionInfo() == ExceptionInfo(excType: "KeyError", excMessage: ["kaboom"], excModule: "builtins"))
        #expect(failure.traceback?.hasSuffix("KeyError: 'kaboom'\n") == true)

        let retry = try ResultDocument.decode(Captures.bytes("53-result-backend-RETRY.json"))
        #expect(retry.state == .retry)
        #expect(try retry.exceptionInfo().excType == "ValueError")

        let maxed = try ResultDocument.decode(Captures.bytes("55-result-backend-FAILURE-after-max-retries.json"))
        #expect(maxed.parentID == maxed.taskID)
        #expect(maxed.extra.keys == ["parent_id"])

        let revoked = try ResultDocument.decode(Captures.bytes("56-result-backend-REVOKED.json"))
        #expect(try revoked.exceptionInfo() == ExceptionInfo(excType: "TaskRevokedError", excMessage: ["expired"], excModule: "celery.exceptions"))
        #expect(try revoked.dateDoneMicros == CeleryTimestamp.parse("2026-11-29T03:10:14.987734+00:00"))
    }

    @Test("builders reproduce Celery's bytes")
    func builders() throws {
        func check(_ built: ResultDocument, _ name: String) throws {
            let raw = try Captures.bytes(name + ".json")
            #expect(built.encode() == raw, "\(name):\n\(text(built.encode()))\n\(text(raw))")
        }
        let s51 = try ResultDocument.decode(Captures.bytes("51-result-backend-SUCCESS.json"))
        try check(.success(taskID: s51.taskID, result: 5, dateDone: try #require(try s51.dateDoneMicros)),
                  "51-result-backend-SUCCESS")

        let s54 = try ResultDocument.decode(Captures.bytes("54-result-backend-SUCCESS-with-children-chain-or-link.json"))
        try check(.success(taskID: s54.taskID, result: 3, dateDone: try #require(try s54.dateDoneMicros), children: s54.children),
                  "54-result-backend-SUCCESS-with-children-chain-or-link")

        let s50 = try ResultDocument.decode(Captures.bytes("50-result-backend-STARTED.json"))
        try check(.started(taskID: s50.taskID, pid: 15070, hostname: "celery@vm"), "50-result-backend-STARTED")

        let f52 = try ResultDocument.decode(Captures.bytes("52-result-backend-FAILURE.json"))
        try check(.failure(taskID: f52.taskID, exception: ExceptionInfo(excType: "KeyError", excMessage: ["kaboom"]),
                           traceback: f52.traceback, dateDone: try #require(try f52.dateDoneMicros)),
                  "52-result-backend-FAILURE")

        let r53 = try ResultDocument.decode(Captures.bytes("53-result-backend-RETRY.json"))
        try check(.retry(taskID: r53.taskID, exception: try r53.exceptionInfo(), traceback: r53.traceback, children: r53.children),
                  "53-result-backend-RETRY")

        let f55 = try ResultDocument.decode(Captures.bytes("55-result-backend-FAILURE-after-max-retries.json"))
        try check(.failure(taskID: f55.taskID, exception: try f55.exceptionInfo(), traceback: f55.traceback,
                           dateDone: try #require(try f55.dateDoneMicros), parentID: f55.taskID),
                  "55-result-backend-FAILURE-after-max-retries")

        let v56 = try ResultDocument.decode(Captures.bytes("56-result-backend-REVOKED.json"))
        try check(.revoked(taskID: v56.taskID, reason: "expired", dateDone: try #require(try v56.dateDoneMicros)),
                  "56-result-backend-REVOKED")
    }

    @Test("custom state document")
    func customState() throws {
        let doc = ResultDocument.custom(taskID: "abc", state: "PROGRESS", meta: ["current": 3, "total": 10])
        #expect(text(doc.encode()) == #"{"status": "PROGRESS", "result": {"current": 3, "total": 10}, "traceback": null, "children": [], "date_done": null, "task_id": "abc"}"#)
        #expect(doc.state == nil)
        let back = try ResultDocument.decode(doc.encode())
        #expect(back == doc)
    }

    @Test("group and parent ids go between date_done and task_id")
    func lineageOrder() {
        let doc = ResultDocument.success(taskID: "t", result: .null, dateDone: 0, groupID: "g", parentID: "p")
        #expect(text(doc.encode()) == #"{"status": "SUCCESS", "result": null, "traceback": null, "children": [], "date_done": "1970-01-01T00:00:00+00:00", "group_id": "g", "parent_id": "p", "task_id": "t"}"#)
    }

    @Test("a built document's bytes are those of its JSON object, whatever it holds")
    func builtDocumentsWriteTheirObject() {
        let documents = [
            ResultDocument.success(taskID: "t-1", result: ["n": 1, "s": "é\u{1F600}"], dateDone: 1_700_000_000_123_456,
                                   children: [[["c", .null], .null]], groupID: "g", parentID: nil),
            ResultDocument.failure(taskID: "t-2", exception: ExceptionInfo(excType: "KeyError", excMessage: ["k"]),
                                   traceback: "Traceback\n  line \"x\"", dateDone: -1),
            ResultDocument(status: "PROGRESS", result: .null, taskID: "t-3",
                           extra: ["status": "shadowed", "task_id": "shadowed", "custom": [1.5, true]]),
        ]
        for document in documents {
            #expect(text(document.encode()) == document.jsonValue().serializedString())
        }
    }

    @Test("malformed documents are rejected with the field named")
    func malformed() {
        #expect(throws: WireError(.missingField, "status: missing")) { try ResultDocument.decode(Array(#"{"task_id": "x"}"#.utf8)) }
        #expect(throws: WireError(.missingField, "task_id: missing")) { try ResultDocument.decode(Array(#"{"status": "SUCCESS"}"#.utf8)) }
        #expect(throws: WireError(.wrongType, "traceback: expected string or null, got int")) {
            try ResultDocument.decode(Array(#"{"status": "FAILURE", "traceback": 3, "task_id": "x"}"#.utf8))
        }
        let doc = ResultDocument(status: "FAILURE", result: "oops", taskID: "x")
        #expect(throws: WireError(.wrongType, "result: expected object, got string")) { try doc.exceptionInfo() }
    }
}
