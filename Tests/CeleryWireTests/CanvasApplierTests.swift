import Testing
import CeleryWire

/// The messages a worker publishes after a task, against Celery 5.7's own (captures 42, 43).
@Suite("Canvas: what a worker publishes")
struct CanvasApplierTests {
    /// Ids handed out in order, as the injected generator of a real worker would.
    final class IDs {
        var queue: [String]
        var counter = 0
        init(_ ids: [String]) { queue = ids }
        func next() -> String {
            if !queue.isEmpty { return queue.removeFirst() }
            counter += 1
            return "id-\(counter)"
        }
    }

    static func capturedMessage(_ name: String) throws -> TaskMessage {
        try TaskMessage.decode(try Captures.bytes(name))
    }

    @Test("the chain's next step is capture 42 byte for byte (result prepended, chain [], parent/root ids)")
    func chainNextMatchesCapture42() throws {
        let first = try Self.capturedMessage("15-chain-add-add.json")
        let expected = try Self.capturedMessage("42-worker-published-chain-next-step.json")
        let embed = try CanvasEmbed.decode(first.embed)
        let ids = IDs([expected.deliveryTag!])
        var applier = CanvasApplier(
            context: CanvasContext(current: first, origin: expected.origin!, replyTo: "unused", nowMicros: 0),
            newID: ids.next)
        applier.applyChainNext(embed.chain, result: 3)
        let effects = applier.effects
        #expect(effects.messages.count == 1)
        #expect(effects.messages.first?.queue == "celery")
        #expect(effects.messages.first?.message.encode() == (try Captures.bytes("42-worker-published-chain-next-step.json")))
        #expect(effects.children == [CanvasApplier.asTuple("4500b94d-b79e-41ce-b773-bbc54b261d3b")])
    }

    @Test("one link callback is capture 43 byte for byte (fresh id, worker's reply_to, chain null)")
    func callbackMatchesCapture43() throws {
        let parent = try Self.capturedMessage("16-link-and-link_error.json")
        let expected = try Self.capturedMessage("43-worker-published-link-callback.json")
        let embed = try CanvasEmbed.decode(parent.embed)
        let ids = IDs([expected.id, expected.deliveryTag!])
        var applier = CanvasApplier(
            context: CanvasContext(current: parent, origin: expected.origin!, replyTo: expected.replyTo!, nowMicros: 0),
            newID: ids.next)
        applier.applyCallbacks(embed.callbacks, result: 7)
        #expect(applier.effects.messages.map { $0.message.encode() } == [try Captures.bytes("43-worker-published-link-callback.json")])
        #expect(applier.effects.children == [[[.string(expected.id), .null], .null]])
    }

    static let add1000: JSONValue = ["task": "app.add", "args": [1000], "kwargs": [:], "options": [:], "subtask_type": .null, "immutable": false]

    @Test("two callbacks go out as one group: fresh group id, group_index 0 and 1, children the GroupResult")
    func twoCallbacksAreAGroup() throws {
        let sigs = try CanvasSignature.decodeList([Self.add1000, Self.add1000], path: "body[2].callbacks")
        let ids = IDs([])
        var applier = CanvasApplier(context: CanvasContext(taskID: "parent", rootID: "root", priority: 0, origin: "gen1@h",
                                                           replyTo: "oid", nowMicros: 0), newID: ids.next)
        applier.applyCallbacks(sigs, result: 7)
        let messages = applier.effects.messages.map(\.message)
        #expect(messages.count == 2)
        #expect(messages.map(\.group) == ["id-1", "id-1"])
        #expect(messages.map(\.groupIndex) == [0, 1])
        #expect(messages.map(\.args) == [[7, 1000], [7, 1000]])
        #expect(messages.map(\.parentID) == ["parent", "parent"])
        #expect(messages.map(\.rootID) == ["root", "root"])
        let memberIDs = messages.map { JSONValue.array([.array([.string($0.id), .null]), .null]) }
        #expect(applier.effects.children == [.array([["id-1", .null], .array(memberIDs)])])
    }

    @Test("errbacks: a group applied with (task_id,), parent_id the failed task, immutable args kept")
    func errbacksAreAGroupWithTheTaskID() throws {
        let parent = try Self.capturedMessage("16-link-and-link_error.json")
        let embed = try CanvasEmbed.decode(parent.embed)
        let ids = IDs([])
        var applier = CanvasApplier(context: CanvasContext(current: parent, origin: "gen1@h", replyTo: "oid", nowMicros: 0),
                                    newID: ids.next)
        applier.applyErrbacks(embed.errbacks, failedTaskID: parent.id, rootID: parent.rootID)
        let m = try #require(applier.effects.messages.first?.message)
        #expect(applier.effects.messages.count == 1)
        #expect(m.task == "app.boom")
        #expect(m.args == ["errback"]) // immutable: (task_id,) is not prepended
        #expect(m.parentID == parent.id)
        #expect(m.group == "id-1")
        #expect(m.groupIndex == 0)
        #expect(applier.effects.children.isEmpty)
    }

    @Test("a chord applied from a step: body frozen into each member's embed.chord, size set before the last member")
    func chordFromAStep() throws {
        let chord: JSONValue = [
            "task": "celery.chord", "args": [], "kwargs": [
                "header": ["task": "celery.group", "args": [], "kwargs": ["tasks": [Self.add1000, Self.add1000]],
                           "options": [:], "subtask_type": "group", "immutable": false],
                "body": ["task": "app.tsum", "args": [], "kwargs": [:], "options": [:], "subtask_type": .null, "immutable": false],
                "kwargs": [:]],
            "options": [:], "subtask_type": "chord", "immutable": false,
        ]
        let sig = try CanvasSignature.decode(chord, path: "body[2].callbacks[0]")
        let ids = IDs([])
        var applier = CanvasApplier(context: CanvasContext(taskID: "p", rootID: "r", priority: nil, origin: "o", replyTo: "oid",
                                                           nowMicros: 0), newID: ids.next)
        applier.applyCallbacks([sig], result: 5)
        let e = applier.effects
        #expect(e.messages.count == 2)
        let gid = try #require(e.messages.first?.message.group)
        #expect(e.chordSizes == [CanvasEffects.ChordSize(groupID: gid, size: 2)])
        #expect(e.messages.map(\.message.args) == [[5, 1000], [5, 1000]])
        let body = try #require(e.messages.first?.message.embed.chord)
        #expect(body["task"] == "app.tsum")
        #expect(body["options"]?["group_id"] == .string(gid))
        #expect(body["options"]?["task_id"]?.stringValue != nil)
        #expect(e.children.count == 1)
    }

    @Test("queue: the signature's options, else the worker's routes, else celery")
    func queues() throws {
        let routed = try CanvasSignature.decode(Self.add1000, path: "s")
        let explicit = routed.settingOption("queue", "fast")
        var applier = CanvasApplier(context: CanvasContext(taskID: "p", rootID: nil, priority: nil, origin: "o", replyTo: "oid",
                                                           nowMicros: 0, route: { $0 == "app.add" ? "math" : nil }),
                                    newID: IDs([]).next)
        applier.apply(routed, args: [1])
        applier.apply(explicit, args: [1])
        #expect(applier.effects.messages.map(\.queue) == ["math", "fast"])
        #expect(applier.effects.messages.map { $0.message.deliveryInfo?.routingKey } == ["math", "fast"])
    }
}

@Suite("Canvas: signatures as Celery sends them")
struct CanvasSignatureTests {
    @Test("an untouched signature re-encodes to the same bytes")
    func roundTrip() throws {
        let m = try TaskMessage.decode(try Captures.bytes("15-chain-add-add.json"))
        let sigs = try CanvasSignature.decodeList(m.embed.chain, path: "body[2].chain")
        #expect(JSONValue.array(sigs.map(\.json)).serialized() == m.embed.chain.serialized())
        #expect(sigs.first?.taskID == "4500b94d-b79e-41ce-b773-bbc54b261d3b")
    }

    @Test("a malformed signature names its path")
    func malformed() throws {
        let embed = TaskEmbed(chain: [["task": "a"], 3])
        #expect(throws: WireError(.wrongType, "body[2].chain[1]: expected object, got int")) { try CanvasEmbed.decode(embed) }
        let nested = TaskEmbed(callbacks: [["task": "g", "subtask_type": "group", "kwargs": ["tasks": [["args": []]]]]])
        #expect(throws: WireError(.missingField, "body[2].callbacks[0].kwargs.tasks[0].task: missing")) { try CanvasEmbed.decode(nested) }
        let unknown = TaskEmbed(chord: ["task": "x", "subtask_type": "weird"])
        #expect(throws: WireError.self) { try CanvasEmbed.decode(unknown) }
    }
}

@Suite("Canvas: the Redis backend's chord join")
struct ChordJoinTests {
    @Test("entries are Celery's JSON, keys are celery-taskset-meta-<gid>.j/.t/.s")
    func entriesAndKeys() throws {
        #expect(String(decoding: ChordJoin.entry(taskID: "t1", state: "SUCCESS", encodedResult: 3), as: UTF8.self)
                == #"[1, "t1", "SUCCESS", 3]"#)
        #expect(ChordJoin.joinKey("g") == "celery-taskset-meta-g.j")
        #expect(ChordJoin.sizeKey("g") == "celery-taskset-meta-g.s")
        #expect(ChordJoin.totalDiffKey("g") == "celery-taskset-meta-g.t")
        #expect(ChordJoin.score(groupIndex: nil) == "+inf")
    }

    @Test("wait until size + diff members returned; no size means no chord")
    func decision() {
        #expect(ChordJoin.decide(readyCount: 1, totalDiff: nil, size: 2) == .wait)
        #expect(ChordJoin.decide(readyCount: 2, totalDiff: nil, size: 2) == .complete)
        #expect(ChordJoin.decide(readyCount: 2, totalDiff: 1, size: 2) == .wait)
        #expect(ChordJoin.decide(readyCount: 2, totalDiff: nil, size: nil) == .notAChord)
    }

    @Test("results in order fire the body; a FAILURE makes ChordError naming the dependency")
    func outcome() throws {
        let ok = [ChordJoin.entry(taskID: "a", state: "SUCCESS", encodedResult: 1),
                  ChordJoin.entry(taskID: "b", state: "SUCCESS", encodedResult: "x")]
        #expect(try ChordJoin.outcome(entries: ok) == .fire([1, "x"]))
        let failed = ChordJoin.encodeResult(state: "FAILURE", result: nil,
                                            exception: ExceptionInfo(excType: "ValueError", excMessage: ["boom"]))
        let bad = ok + [ChordJoin.entry(taskID: "c", state: "FAILURE", encodedResult: failed)]
        guard case .fail(let error) = try ChordJoin.outcome(entries: bad) else { Issue.record("expected fail"); return }
        #expect(error.excType == "ChordError")
        #expect(error.excModule == "celery.exceptions")
        #expect(error.excMessage == ["Dependency c raised ValueError('boom')"])
    }
}
