/// "Did you mean ...?" for a misspelt key or name: the allowed name closest to what was written,
/// by edit distance (insertions, deletions, substitutions and swaps of neighbouring letters),
/// when it is close enough to be a likely typo rather than a different word.
public enum NearestName {
    /// The closest of `candidates` to `written` (ties go to the earlier candidate, so the answer
    /// never depends on anything but the list's order), or nil when none is close: at most one
    /// edit for names of up to four letters, two up to eight, three beyond. Case is ignored.
    public static func suggestion(for written: String, among candidates: [String]) -> String? {
        let word = Array(written.lowercased().unicodeScalars)
        let allowed = word.count <= 4 ? 1 : word.count <= 8 ? 2 : 3
        var best: (name: String, distance: Int)?
        for candidate in candidates where candidate != written {
            let distance = editDistance(word, Array(candidate.lowercased().unicodeScalars))
            guard distance <= allowed else { continue }
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.name
    }

    /// ` (did you mean "x"?)` to follow the unknown name in a message, or an empty string.
    public static func hint(for written: String, among candidates: [String]) -> String {
        suggestion(for: written, among: candidates).map { " (did you mean \(quoted($0))?)" } ?? ""
    }

    /// Optimal string alignment distance (Levenshtein with adjacent transpositions).
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { value = min(value, previous2[j - 2] + 1) }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
