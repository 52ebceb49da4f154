/// The failing seeds of an exploration, grouped by invariant, with the command that replays each.
///
/// Holds nothing that depends on the machine or the number of threads (no wall time), so the same
/// arguments print the same report; `lovage explore` prints its speed on standard error.
public struct ExplorationReport: Sendable, Codable, Equatable {
    public var scenario: String
    public var file: String
    public var seeds: String
    public var swarm: Bool
    public var seedsChecked: Int
    public var seedsFailing: Int
    public var groups: [Group]
    /// Every failing seed with the invariants it broke and its replay command (JSON only).
    public var failures: [Failure]
    /// Whether the scenario has periodic tasks: without a `schedule:` the text leaves out the
    /// periodic invariants, which no such run can break.
    public var periodic = false

    /// `periodic` shapes the text only; the JSON stays as it was.
    enum CodingKeys: String, CodingKey {
        case scenario, file, seeds, swarm, seedsChecked, seedsFailing, groups, failures
    }

    public struct Failure: Sendable, Codable, Equatable {
        public var seed: UInt64
        public var invariants: [Invariant]
        public var replay: String
    }

    public struct Group: Sendable, Codable, Equatable {
        public var invariant: Invariant
        public var title: String
        /// Every failing seed, in order.
        public var seeds: [UInt64]
        /// The first few, with what broke and how to replay it.
        public var examples: [Example]
    }

    public struct Example: Sendable, Codable, Equatable {
        public var seed: UInt64
        public var detail: String
        public var replay: String
    }

    /// Failing seeds shown per invariant in the text report (the JSON lists them all).
    public static let examplesPerGroup = 5

    public init(scenarioName: String, file: String, seeds: SeedRange, swarm: Bool, outcomes: [SeedOutcome], periodic: Bool = false) {
        self.periodic = periodic
        scenario = scenarioName
        self.file = file
        self.seeds = seeds.description
        self.swarm = swarm
        seedsChecked = outcomes.count
        seedsFailing = outcomes.filter { !$0.breaches.isEmpty }.count
        failures = outcomes.filter { !$0.breaches.isEmpty }.map { outcome in
            Failure(seed: outcome.seed, invariants: outcome.breaches.map(\.invariant),
                    replay: Self.replayCommand(file: file, seed: outcome.seed, swarm: swarm))
        }
        groups = Invariant.allCases.compactMap { invariant in
            let failing = outcomes.compactMap { outcome in outcome.breaches.first { $0.invariant == invariant }.map { (outcome.seed, $0) } }
            guard !failing.isEmpty else { return nil }
            return Group(invariant: invariant, title: invariant.title, seeds: failing.map(\.0),
                         examples: failing.prefix(Self.examplesPerGroup).map { seed, breach in
                             Example(seed: seed, detail: breach.detail, replay: Self.replayCommand(file: file, seed: seed, swarm: swarm))
                         })
        }
    }

    /// The one command that replays a seed exactly as the exploration ran it.
    public static func replayCommand(file: String, seed: UInt64, swarm: Bool) -> String {
        "lovage replay \(shellQuoted(file)) --seed \(seed)" + (swarm ? " --swarm" : "")
    }

    public var text: String {
        var lines: [String] = []
        lines.append("explored  \(scenario)  (\(file))  seeds \(seeds)\(swarm ? ", swarm testing" : ", no swarm")")
        lines.append("checked   \(seedsChecked) seeds: \(seedsFailing) broke an invariant, \(seedsChecked - seedsFailing) held every one")
        lines.append("")
        for invariant in Invariant.allCases {
            let group = groups.first { $0.invariant == invariant }
            if !periodic && group == nil && (invariant == .periodicDuplicate || invariant == .periodicMissed) { continue }
            lines.append("\(invariant.title): \(group?.seeds.count ?? 0) seed\(group?.seeds.count == 1 ? "" : "s")")
            guard let group else { continue }
            for example in group.examples {
                lines.append("  seed \(example.seed): \(example.detail)")
                lines.append("    \(example.replay)")
            }
            if group.seeds.count > group.examples.count {
                lines.append("  ... and \(group.seeds.count - group.examples.count) more (--json lists every seed)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// A path or word as a POSIX shell reads it back: unquoted when safe, else in single quotes.
func shellQuoted(_ text: String) -> String {
    let safe = text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "/._-+:=@,".unicodeScalars.contains($0) }
    return safe && !text.isEmpty ? text : "'" + text.replacingAll("'", with: "'\\''") + "'"
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
