import CeleryWire
import Testing
import WorkerCore

@Suite("Prefetch and acknowledgement")
struct PrefetchTests {
    @Test("acks_late with multiplier 1 holds at most `concurrency` messages")
    func acksLateWindow() {
        var h = CoreHarness(config(concurrency: 2, prefetch: 1, acksLate: true))
        let boot = h.start()
        #expect(boot.fetchCount == 1)
        var out = h.send(.delivered(h.request()))
        #expect(out.executions.count == 1)
        #expect(out.fetchCount == 1, "one more message fits the window")
        out = h.send(.delivered(h.request()))
        #expect(out.executions.count == 1)
        #expect(out.fetchCount == 0, "window of 2 is full while both run")
        #expect(out.ackedTags.isEmpty, "acks_late acknowledges only at the end")
        let first = out.executions[0]
        out = h.send(.taskFinished(slot: first.slot, execution: first.execution, outcome: .succeeded(resultJSON: "5"),
                                   childResidentKiB: nil))
        #expect(out.ackedTags == [first.request.deliveryTag])
        #expect(out.fetchCount == 1, "finishing frees a prefetch slot")
        #expect(out.storedStates == ["SUCCESS"])
    }

    @Test("early ack frees the prefetch slot when the task starts: -c 1 holds 2 messages")
    func earlyAckWindow() {
        var h = CoreHarness(config(concurrency: 1, prefetch: 1, acksLate: false))
        h.start()
        var out = h.send(.delivered(h.request()))
        #expect(out.executions.count == 1)
        #expect(out.ackedTags.count == 1, "acknowledged at start")
        #expect(out.fetchCount == 1)
        out = h.send(.delivered(h.request()))
        #expect(out.executions.isEmpty, "no free child")
        #expect(out.fetchCount == 0, "one running (acked) + one reserved fills the window of 1")
        #expect(h.core.reservedWaitingCount == 1)
    }

    @Test("multiplier 0 means no prefetch limit")
    func unlimited() {
        var h = CoreHarness(config(concurrency: 1, prefetch: 0))
        h.start()
        for _ in 0..<50 {
            let out = h.send(.delivered(h.request()))
            #expect(out.fetchCount == 1)
        }
        #expect(h.core.reservedWaitingCount == 49)
    }

    @Test("prefetch limit uses max concurrency with autoscale")
    func autoscalePrefetch() {
        let c = config(concurrency: 1, prefetch: 4) { $0.autoscale = AutoscaleSettings(maxConcurrency: 8, minConcurrency: 2) }
        #expect(c.prefetchLimit == 32)
        #expect(c.initialConcurrency == 2)
    }

    @Test("one fetch at a time; an empty BRPOP is asked again")
    func singleOutstandingFetch() {
        var h = CoreHarness(config())
        h.start()
        #expect(h.send(.fetchReturnedEmpty).fetchCount == 1)
    }

    @Test("round robin rotates the queue just served to the back, priority-major keys")
    func consumeOrder() {
        var order = ConsumeOrder(queues: ["dify", "celery"], steps: [0, 3, 6, 9], strategy: .roundRobin)
        let sep = PriorityQueueKeys.separator
        #expect(order.keys == ["dify", "celery", "dify\(sep)3", "celery\(sep)3", "dify\(sep)6", "celery\(sep)6",
                               "dify\(sep)9", "celery\(sep)9"])
        order.served(queue: "dify")
        #expect(Array(order.keys.prefix(2)) == ["celery", "dify"])
        var fixed = ConsumeOrder(queues: ["dify", "celery"], steps: [0], strategy: .priority)
        fixed.served(queue: "dify")
        #expect(fixed.keys == ["dify", "celery"])
        #expect(ConsumeOrder.queue(ofKey: "dify\(sep)3") == "dify")
    }

    @Test("after every turn, add and cancel, the keys are brpopKeys of kombu's cycle (items.append(items.pop(index)))")
    func consumeOrderFollowsKombusCycle() {
        let steps = [0, 3, 6, 9]
        var order = ConsumeOrder(queues: ["a", "b", "c", "d"], steps: steps, strategy: .roundRobin)
        var cycle = ["a", "b", "c", "d"]
        func check(_ note: String) {
            #expect(order.keys == PriorityQueueKeys.brpopKeys(queues: cycle, steps: steps), "\(note)")
        }
        check("start")
        for served in ["b", "a", "a", "d", "c", "nope", "b", "c"] {
            order.served(queue: served)
            if let index = cycle.firstIndex(of: served) { cycle.append(cycle.remove(at: index)) }
            check("served \(served)")
        }
        let addedE = order.add(queue: "e")
        #expect(addedE)
        cycle.append("e")
        check("added e")
        let addedA = order.add(queue: "a"), removedB = order.remove(queue: "b")
        #expect(!addedA)
        #expect(removedB)
        cycle.removeAll { $0 == "b" }
        check("removed b")
        let removedAgain = order.remove(queue: "b")
        #expect(!removedAgain)
        var sorted = ConsumeOrder(queues: ["m", "k", "z"], steps: [0], strategy: .sorted)
        #expect(sorted.keys == ["k", "m", "z"])
        sorted.add(queue: "a")
        sorted.served(queue: "a")
        #expect(sorted.keys == ["a", "k", "m", "z"])
    }
}
