import Testing
import WorkerCore

@Suite("ETA holds, expiry and revocation")
struct HoldExpiryRevokeTests {
    @Test("an eta message is held unacknowledged outside the prefetch count and runs when due")
    func etaHold() {
        var h = CoreHarness(config(concurrency: 1, prefetch: 1))
        h.start()
        let delayed = h.request(eta: .seconds(10))
        var out = h.send(.delivered(delayed))
        #expect(out.executions.isEmpty)
        #expect(out.fetchCount == 1, "held messages do not count against prefetch")
        #expect(h.core.heldCount == 1)
        #expect(h.core.nextDeadline == delayed.eta)
        out = h.advance(by: .seconds(9))
        #expect(out.executions.isEmpty, "not before its eta")
        out = h.advance(by: .seconds(1))
        #expect(out.executions.map(\.request.id) == [delayed.id])
        #expect(out.ackedTags.isEmpty, "still unacknowledged under acks_late")
    }

    @Test("expired on receipt: REVOKED, acknowledged, never run")
    func expiredOnReceipt() {
        var h = CoreHarness(config())
        h.start()
        var request = h.request()
        request.expires = h.now - .seconds(1)
        let out = h.send(.delivered(request))
        #expect(out.executions.isEmpty)
        #expect(out.storedStates == ["REVOKED"])
        #expect(out.storedRecords.first?.error?.message == "expired")
        #expect(out.ackedTags == [request.deliveryTag])
        #expect(out.eventKinds.contains(.revoked))
    }

    @Test("expired while held for its eta: REVOKED before start")
    func expiredBeforeStart() {
        var h = CoreHarness(config())
        h.start()
        let request = h.request(eta: .seconds(10), expires: .seconds(5))
        h.send(.delivered(request))
        let out = h.advance(by: .seconds(10))
        #expect(out.executions.isEmpty)
        #expect(out.storedStates == ["REVOKED"])
        #expect(out.ackedTags == [request.deliveryTag])
    }

    @Test("a revoked id is refused on receipt")
    func revokedOnReceipt() {
        var h = CoreHarness(config())
        h.start()
        h.send(.revoke(taskID: "doomed", terminate: false))
        let out = h.send(.delivered(h.request(id: "doomed")))
        #expect(out.executions.isEmpty)
        #expect(out.storedRecords.first?.error?.message == "revoked")
    }

    @Test("revoke with terminate kills the running child, stores REVOKED, acks and replaces the child")
    func terminate() {
        var h = CoreHarness(config(concurrency: 1))
        h.start()
        let running = h.send(.delivered(h.request(id: "long"))).executions[0]
        let out = h.send(.revoke(taskID: "long", terminate: true))
        #expect(out.contains(.killChild(slot: running.slot, reason: .terminated)))
        #expect(out.storedStates == ["REVOKED"])
        #expect(out.ackedTags == [running.request.deliveryTag])
        #expect(out.spawnedSlots == [running.slot])
        // The body's late completion is stale and ignored.
        let late = h.send(.taskFinished(slot: running.slot, execution: running.execution,
                                        outcome: .succeeded(resultJSON: nil), childResidentKiB: nil))
        #expect(late.storedStates.isEmpty)
    }

    @Test("the revoked-id memory is bounded, oldest first")
    func boundedRevokes() {
        var set = RevokedSet(limit: 3)
        for id in ["a", "b", "c", "d"] { set.insert(id) }
        #expect(set.count == 3)
        #expect(!set.contains("a"))
        #expect(set.contains("d"))
    }
}
