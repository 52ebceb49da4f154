/// Remembers where a decoded JSON object's known keys and unknown ("extra") keys sat, and which known
/// keys were present at all, so that re-encoding a decoded message writes the same keys in the same
/// order — byte-identical to the Python original — while the typed fields stay plain Swift values.
///
/// Objects built in Swift use a canonical layout (Celery's order). The layout is presentation only:
/// it takes no part in `==` of the types that hold it.
struct KeyLayout: Sendable, Equatable {
    enum Slot: Sendable, Equatable {
        /// Known field number `n` (index into the owner's key-name table).
        case known(UInt8)
        /// The next not-yet-written extra key.
        case extra
        /// All remaining extra keys (used by canonical layouts, e.g. extras before `task_id`).
        case restOfExtras
    }

    var slots: [Slot]

    init(slots: [Slot]) { self.slots = slots }

    /// Known fields `0..<count` in order (extras go at the end).
    static func canonical(_ count: Int) -> KeyLayout {
        KeyLayout(slots: (0..<count).map { .known(UInt8($0)) })
    }

    static func == (lhs: KeyLayout, rhs: KeyLayout) -> Bool { true }

    func contains(known n: Int) -> Bool {
        slots.contains(.known(UInt8(n)))
    }

    /// Makes room for a new extra key written right after known field `n` (or at the end if `n` is
    /// not in the layout). Returns the index at which the caller must insert the key into its extras
    /// object so the placeholders and the extras stay aligned.
    mutating func insertExtra(afterKnown n: Int) -> Int {
        var extrasBefore = 0
        for (i, slot) in slots.enumerated() {
            switch slot {
            case .extra: extrasBefore += 1
            case .restOfExtras: break
            case .known(let k):
                if Int(k) == n {
                    slots.insert(.extra, at: i + 1)
                    return extrasBefore
                }
            }
        }
        slots.append(.extra)
        return Int.max
    }

    /// Builds the JSON object. `names[n]` is the key of known field `n`; `value(n, inLayout)` returns
    /// its JSON or nil to omit it (fields in the layout usually write null rather than vanish; fields
    /// not in the layout are written only when they differ from their default). Order: the layout's
    /// slots, then leftover extras, then known fields that were not in the layout.
    func assemble(names: [String], extras: JSONObject, value: (Int, Bool) -> JSONValue?) -> JSONObject {
        var out = JSONObject()
        out.reserveCapacity(names.count + extras.count)
        var seen: UInt64 = 0
        var nextExtra = extras.startIndex
        func emitExtra(_ out: inout JSONObject) {
            let (key, v) = extras[nextExtra]
            nextExtra += 1
            // An extra must never shadow a typed field (that would write the key twice).
            if !names.contains(key) { out.appendUnchecked(key, v) }
        }
        for slot in slots {
            switch slot {
            case .known(let k):
                let n = Int(k)
                guard n < names.count else { continue }
                seen |= 1 << UInt64(n)
                if let v = value(n, true) { out.appendUnchecked(names[n], v) }
            case .extra:
                if nextExtra < extras.endIndex { emitExtra(&out) }
            case .restOfExtras:
                while nextExtra < extras.endIndex { emitExtra(&out) }
            }
        }
        while nextExtra < extras.endIndex { emitExtra(&out) }
        for n in names.indices where seen & (1 << UInt64(n)) == 0 {
            if let v = value(n, false) { out.appendUnchecked(names[n], v) }
        }
        return out
    }
}
