import CeleryWire
import Foundation
import Logging
import RedisClient
import WorkerCore

/// Carrying out the core's `.canvas` steps: what a Celery worker publishes after a task (the
/// chain's next step, link callbacks, link_error errbacks) and the chord join, built by CeleryWire
/// from the message the driver holds, sent through the broker (LPUSH onto Kombu's priority lists)
/// and the result backend.
extension LiveWorkerDriver {
    func performCanvas(_ step: CanvasStep) {
        guard let message = messages[step.request.deliveryTag] else {
            logger.error("canvas of \(step.request.id): the message of delivery \(step.request.deliveryTag) is no longer held")
            return
        }
        // The embed was read when the message arrived (a malformed one was dead-lettered then).
        guard let embed = try? CanvasEmbed.decode(message.embed) else { return }
        var applier = makeApplier(for: message)
        switch step.kind {
        case .callbacks:
            applier.applyCallbacks(embed.callbacks, result: Self.resultValue(step))
        case .chainNext:
            applier.applyChainNext(embed.chain, result: Self.resultValue(step))
        case .errbacks:
            applier.applyErrbacks(embed.errbacks, failedTaskID: message.id, rootID: message.rootID)
        case .chainFailed:
            failRemainingChain(embed.chain, error: step.error, message: message)
            return
        case .chordPartReturn:
            guard let body = embed.chord, let groupID = message.group else { return }
            // Celery stores the member's result before its part returns.
            flushWrites()
            chordPartReturn(groupID: groupID, groupIndex: message.groupIndex, taskID: message.id, state: step.state,
                            result: Self.resultValue(step), error: step.error, body: body, context: message)
            return
        }
        carryOut(applier.effects, appliedBy: message.id)
    }

    func makeApplier(for message: TaskMessage) -> CanvasApplier {
        CanvasApplier(context: CanvasContext(current: message, origin: canvasOrigin, replyTo: replyOID,
                                             nowMicros: Self.clock().microsecondsSinceEpoch),
                      newID: { UUID().uuidString.lowercased() })
    }

    static func resultValue(_ step: CanvasStep) -> JSONValue {
        step.resultJSON.flatMap { try? JSONValue.parse($0) } ?? .null
    }

    /// Chord sizes and group saves first (before any member could finish), then the messages in
    /// order; the children wait for the parent's result document.
    func carryOut(_ effects: CanvasEffects, appliedBy parentID: String?) {
        if !effects.chordSizes.isEmpty || !effects.groupSaves.isEmpty {
            withBackend("chord sizes and groups") { backend throws(RedisError) in
                for size in effects.chordSizes { try backend.setChordSize(groupID: size.groupID, size: size.size) }
                for save in effects.groupSaves { try backend.saveGroup(save) }
            }
        }
        for published in effects.messages {
            let bytes = published.message.encode()
            withBroker("publish \(published.message.task)[\(published.message.id)]") { broker throws(RedisError) in
                try broker.publish(bytes, queue: published.queue, priority: published.message.priority)
            }
        }
        if let parentID, !effects.children.isEmpty { pendingChildren[parentID, default: []] += effects.children }
    }

    /// `on_chord_part_return`: this member's entry joins the sorted set; the member that completes
    /// the join applies the body with the ordered results, or stores ChordError as the body's
    /// FAILURE and applies the body's errbacks.
    /// `context`: the message of the task this worker ran (the origin and reply queue of what the
    /// body's publish carries); the part may be another task's, a later chain step's.
    func chordPartReturn(groupID: String, groupIndex: Int?, taskID: String, state: TaskState, result: JSONValue,
                         error: ErrorDescription?, body: CanvasSignature, context message: TaskMessage) {
        let exception = error.map(MessageTranslation.exception)
        let encoded = ChordJoin.encodeResult(state: state.rawValue, result: result, exception: exception)
        let entry = ChordJoin.entry(taskID: taskID, state: state.rawValue, encodedResult: encoded)
        let claimToken = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        guard let reply = withBackend("chord part return of \(taskID)", { backend throws(RedisError) in
            try backend.chordPartReturn(groupID: groupID, groupIndex: groupIndex, taskID: taskID,
                                        entry: entry, claimToken: claimToken)
        }) else { return }
        // Only the member that completed the join and won the claim applies the body (another
        // worker, Lovage or Celery, may have completed it at the same moment). The script takes
        // the claim only when the count reaches size + total diff: `ChordJoin.decide`'s rule.
        guard reply.claimed,
              let entries = withBackend("read chord \(groupID)", { backend throws(RedisError) in
                  try backend.chordEntries(groupID: groupID)
              }) else { return }
        var applier = makeApplier(for: message)
        let outcome: ChordJoin.Outcome
        do {
            outcome = try ChordJoin.outcome(entries: entries)
        } catch {
            outcome = .fail(ExceptionInfo(excType: "ChordError", excMessage: [.string("Join error: \(error.description)")],
                                          excModule: "celery.exceptions"))
        }
        switch outcome {
        case .fire(let results):
            let extended = withBackend("extend the claim of chord \(groupID)") { backend throws(RedisError) in
                try backend.extendChordClaim(groupID: groupID, claimToken: claimToken)
            } ?? false
            guard extended else {
                logger.warning("Chord callback for '\(groupID)' not published: dispatch claim is no longer owned by this worker")
                return
            }
            applier.applyChordBody(body, results: results)
            carryOut(applier.effects, appliedBy: nil)
            let cleaned = withBackend("clean up chord \(groupID)") { backend throws(RedisError) in
                try backend.cleanupChord(groupID: groupID, claimToken: claimToken)
            } ?? false
            if !cleaned { logger.warning("Chord callback claim for '\(groupID)' was lost before cleanup; chord data was left for expiry") }
        case .fail(let error):
            logger.error("Chord '\(groupID)' raised: ChordError(\(PythonRepr.string(error.excMessage.first?.stringValue ?? "")))")
            failChordBody(body, error: error, applier: &applier)
            withBackend("drop the size of chord \(groupID)") { backend throws(RedisError) in
                try backend.dropChordSize(groupID: groupID)
            }
        }
    }

    /// `mark_as_failure` walking `request.chain`: the same FAILURE stored under each later step's
    /// frozen task id, so `chain(...).get()` raises instead of waiting. A step with no id of its
    /// own (a group or chord Celery did not freeze) is skipped, as Celery skips it.
    ///
    /// A step that is a chord member (the last step of a chain in a chord's header carries `chord`,
    /// `group_id` and `group_index` in its options) also returns its chord part as FAILURE, so the
    /// chord fails with ChordError instead of waiting for ever (`mark_as_failure`'s "to avoid stalls").
    func failRemainingChain(_ chain: [CanvasSignature], error: ErrorDescription?, message: TaskMessage) {
        guard let error else { return }
        let exception = MessageTranslation.exception(error)
        flushWrites()
        for step in chain {
            guard let taskID = step.taskID else { continue }
            storeFailure(taskID: taskID, exception: exception, what: "store FAILURE down the chain")
        }
        for (index, step) in chain.enumerated() {
            guard let taskID = step.taskID, let chordNode = step.options["chord"], chordNode != .null,
                  let groupID = step.options["group_id"]?.stringValue,
                  let body = try? CanvasSignature.decode(chordNode, path: "chain[\(index)].options.chord") else { continue }
            let groupIndex = step.options["group_index"]?.intValue.map { Int($0) }
            chordPartReturn(groupID: groupID, groupIndex: groupIndex, taskID: taskID, state: .failure, result: .null,
                            error: error, body: body, context: message)
        }
    }

    /// A FAILURE document written at once, for a task this worker did not run (a later chain
    /// step, a chord body).
    func storeFailure(taskID: String, exception: ExceptionInfo, what: String) {
        let document = ResultDocument.failure(taskID: taskID, exception: exception, traceback: nil,
                                              dateDone: Self.clock().microsecondsSinceEpoch)
        withBackend(what) { backend throws(RedisError) in _ = try backend.store(document) }
    }

    /// `chord_error_from_stack`: the body's errbacks applied with its id, then ChordError stored as
    /// its FAILURE.
    func failChordBody(_ body: CanvasSignature, error: ExceptionInfo, applier: inout CanvasApplier) {
        let bodyID = body.taskID ?? UUID().uuidString.lowercased()
        let errbacks = (try? CanvasSignature.decodeList(body.options["link_error"] ?? .null, path: "chord.options.link_error")) ?? []
        applier.applyErrbacks(errbacks, failedTaskID: bodyID, rootID: nil)
        carryOut(applier.effects, appliedBy: nil)
        storeFailure(taskID: bodyID, exception: error, what: "store the chord body's FAILURE")
    }
}
