/// Groups, chains, chords, maps and chunks applied as celery/canvas.py applies them.
extension CanvasApplier {
    /// `group.apply_async(args, **options)`: `_freeze_gid` (the group id is the options' `task_id`
    /// or a fresh one), each member (nested groups unrolled, `_prepared`) frozen with the group id,
    /// root id and its index, then applied with the group's options (`_apply_tasks`); a chord
    /// header's size is SET before its last member goes out. The GroupResult joins the trail.
    @discardableResult
    public mutating func applyGroup(_ members: [CanvasSignature], groupOptions: JSONObject = [:], args: [JSONValue],
                                    options: JSONObject, addToParent: Bool, chord: JSONValue? = nil) -> JSONValue {
        var merged = Self.merge(groupOptions, options)
        let gid = merged.removeValue(forKey: "task_id")?.stringValue ?? newGroupID()
        merged.set(.string(gid), forKey: "group_id")
        let rootID = merged["root_id"]?.stringValue
        let unrolled = Self.unroll(members)
        guard !unrolled.isEmpty else { return Self.groupTuple(gid, []) }
        var results: [JSONValue] = []
        var chordSize = 0
        for (position, (member, index)) in unrolled.enumerated() {
            let (frozen, _) = freeze(member, groupID: gid, rootID: rootID, groupIndex: index)
            let chordObject = chord ?? frozen.options["chord"]
            chordSize += Self.descend(frozen)
            if chordObject != nil && position == unrolled.count - 1 {
                effects.chordSizes.append(CanvasEffects.ChordSize(groupID: gid, size: chordSize))
            }
            var memberOptions = merged
            if let chordObject { memberOptions.set(chordObject, forKey: "chord") }
            results.append(apply(frozen, args: args, options: memberOptions, addToParent: false))
        }
        let tuple = Self.groupTuple(gid, results)
        if addToParent { effects.children.append(tuple) }
        return tuple
    }

    /// A fresh id (groups and tasks draw from the same generator).
    mutating func newGroupID() -> String { nextID() }

    /// `group._prepared`: nested groups' members in place, each with its index in its own group.
    static func unroll(_ members: [CanvasSignature]) -> [(CanvasSignature, Int)] {
        var out: [(CanvasSignature, Int)] = []
        for (index, member) in members.enumerated() {
            if case .group(let inner) = member.form { out += unroll(inner) } else { out.append((member, index)) }
        }
        return out
    }

    /// `_chord._descend`: how many results a header member contributes to the chord's size.
    static func descend(_ sig: CanvasSignature) -> Int {
        switch sig.form {
        case .group(let members): return members.reduce(0) { $0 + descend($1) }
        case .chain(let steps):
            for step in steps.reversed() { let n = descend(step); if n > 0 { return n } }
            return 0
        case .chord(_, let body): return descend(body)
        case .task, .map, .chunks: return 1
        }
    }

    /// `_chain.run`: every step frozen (task id, root id, reply_to), the first applied with the
    /// partial args and the rest, reversed, as its `chain`. The first step's result joins the trail
    /// (send_task's `add_to_parent`).
    mutating func applyChain(_ sig: CanvasSignature, steps: [CanvasSignature], args: [JSONValue],
                             options: JSONObject) -> JSONValue {
        guard let firstStep = steps.first else { return .null }
        let merged = Self.merge(sig.options, options)
        let partial = sig.immutable || args.isEmpty ? sig.args : args + sig.args
        let rootID = merged["root_id"]?.stringValue
        var rest: [JSONValue] = []
        for step in steps.dropFirst().reversed() { rest.append(freeze(step, groupID: nil, rootID: rootID, groupIndex: nil).0.json) }
        let (first, _) = freeze(firstStep, groupID: nil, rootID: rootID, groupIndex: nil)
        var firstOptions = merged
        firstOptions.removeValue(forKey: "task_id")
        firstOptions.set(.array(rest), forKey: "chain")
        return apply(first, args: partial, options: firstOptions, addToParent: false)
    }

    /// `_chord.apply_async` and `run`: the body takes the call's options and is frozen with the
    /// header's group id; each header member is frozen with the group id, the body as `chord` and
    /// its index; the Redis backend's `apply_chord` saves the GroupResult when a member is itself a
    /// group; the header is applied as a group (chord size SET before its last member). An empty
    /// header sends the body at once with `[]`. The header's GroupResult joins the trail.
    mutating func applyChord(_ sig: CanvasSignature, header: [CanvasSignature], body: CanvasSignature,
                             args: [JSONValue], options: JSONObject, addToParent: Bool) -> JSONValue {
        let partial = sig.immutable || args.isEmpty ? sig.args : args + sig.args
        var bodySig = body
        for (key, value) in Self.merge([:], options) { bodySig = bodySig.settingOption(key, value) }
        let headerGroup = sig.kwargs["header"]
        let gid = headerGroup?["options"]?["task_id"]?.stringValue ?? sig.options["task_id"]?.stringValue ?? nextID()
        var merged = Self.merge(sig.options, options)
        let bodyTaskID = merged.removeValue(forKey: "task_id")?.stringValue ?? nextID()
        let rootID = bodySig.options["root_id"]?.stringValue
        for (key, value) in merged { bodySig = bodySig.settingOption(key, value) }
        if bodySig.taskID == nil { bodySig = bodySig.settingOption("task_id", .string(bodyTaskID)) }
        bodySig = freeze(bodySig, groupID: gid, rootID: rootID, groupIndex: nil).0
        merged.removeValue(forKey: "chain")
        merged.removeValue(forKey: "chord")
        let unrolled = Self.unroll(header)
        guard !unrolled.isEmpty else {
            applyTask(bodySig, args: [.array([])], options: [:])
            return Self.groupTuple(gid, [])
        }
        var frozenMembers: [CanvasSignature] = []
        for (member, index) in unrolled {
            frozenMembers.append(freeze(member, groupID: gid, rootID: rootID, groupIndex: index, chord: bodySig.json).0)
        }
        if header.contains(where: { if case .group = $0.form { return true } else { return false } }) {
            effects.groupSaves.append(CanvasEffects.GroupSave(
                groupID: gid, results: frozenMembers.map { Self.asTuple($0.taskID ?? "") }))
        }
        var headerOptions = merged
        headerOptions.set(.string(gid), forKey: "task_id")
        return applyGroup(frozenMembers, args: partial, options: headerOptions, addToParent: addToParent)
    }

    /// `_basemap.apply_async`: `celery.map`/`celery.starmap` with no args and kwargs
    /// `{"task", "it"}`, routed by the mapped task's name. (Celery passes only the call's options;
    /// the signature's frozen ones — a group member's task id and index — are kept here too, so the
    /// message's id is the one the group's result lists.)
    mutating func applyMap(_ sig: CanvasSignature, options: JSONObject) -> JSONValue {
        let inner = sig.kwargs["task"]
        let kwargs: JSONObject = ["task": inner ?? .null, "it": sig.kwargs["it"] ?? .array([])]
        let name = inner?["task"]?.stringValue ?? sig.task
        let bare = (try? CanvasSignature.decode(.object(["task": .string(sig.task)]), path: "map")) ?? sig
        return applyTask(bare, args: [], options: Self.merge(sig.options, options), kwargs: kwargs, routeName: name)
    }

    /// `chunks.apply_async`: a group of `xstarmap(task, part)` over `it` cut in parts of `n`.
    mutating func applyChunks(_ sig: CanvasSignature, options: JSONObject, addToParent: Bool) -> JSONValue {
        let items = sig.kwargs["it"]?.arrayValue ?? []
        let n = max(1, Int(sig.kwargs["n"]?.intValue ?? 1))
        var members: [CanvasSignature] = []
        var start = 0
        while start < items.count {
            let part = Array(items[start..<min(start + n, items.count)])
            let dict: JSONValue = [
                "task": "celery.starmap", "args": [], "kwargs": ["task": sig.kwargs["task"] ?? .null, "it": .array(part)],
                "options": [:], "subtask_type": "xstarmap", "immutable": false,
            ]
            if let member = try? CanvasSignature.decode(dict, path: "chunks") { members.append(member) }
            start += n
        }
        var groupOptions: JSONObject = [:]
        if let id = options["task_id"] ?? sig.options["task_id"] { groupOptions.set(id, forKey: "task_id") }
        return applyGroup(members, groupOptions: groupOptions, args: [], options: options, addToParent: addToParent)
    }
}
