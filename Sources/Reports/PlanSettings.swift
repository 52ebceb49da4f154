import Scenarios

/// How `lovage plan` reads its command line: the `--vary` lists, `--seeds`, `--confidence` and
/// the default SLOs. Kept out of the executable so the rules are unit-tested.
public enum PlanSettings {
    /// The separator between `--vary` values when a value may itself contain a comma.
    public static let valueSeparator: Character = "|"

    /// The values of one `--vary KEY=LIST`, as `KEY=VALUE` texts, in the order written.
    ///
    /// - When LIST contains `|`, it is split on `|` only (`autoscale=8,2|16,4|off`).
    /// - Else `autoscale` is one value (`autoscale=8,2` is MAX,MIN, not two values).
    /// - Else LIST is split on `,` (`workers=1,2,4`).
    /// Each item written `A...B` (two whole numbers, A <= B) stands for every whole number from A
    /// to B. `seed` is refused: the seed is not a setting a plan chooses (`--seeds` runs every
    /// configuration over several).
    public static func values(ofVary text: String) throws(PlanSettingsError) -> [String] {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw PlanSettingsError("--vary \(text): expected KEY=A...B, KEY=A,B,C or KEY=A|B|C")
        }
        let key = parts[0], list = parts[1]
        if key == "seed" {
            throw PlanSettingsError("--vary \(text): the seed is not a setting to choose (a plan would pick the luckiest seed); "
                                    + "use --seeds N or --seeds A...B to simulate every configuration over several seeds")
        }
        let items: [String]
        if list.contains(valueSeparator) {
            items = list.split(separator: valueSeparator, omittingEmptySubsequences: false).map(String.init)
        } else if key == "autoscale" {
            items = [list]
        } else {
            items = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        var values: [String] = []
        for item in items {
            guard !item.isEmpty else { throw PlanSettingsError("--vary \(text): an empty value in the list") }
            if let range = item.range(of: "...") {
                guard let low = Int(item[..<range.lowerBound]), let high = Int(item[range.upperBound...]), low <= high else {
                    throw PlanSettingsError("--vary \(text): a range is two whole numbers A...B with A <= B, found \(item)")
                }
                guard high - low < 10_000 else { throw PlanSettingsError("--vary \(text): the range \(item) has more than 10,000 values") }
                values += (low...high).map { "\(key)=\($0)" }
            } else {
                values.append("\(key)=\(item)")
            }
        }
        return values
    }

    /// Every combination of the `--vary` values, the first `--vary` varying slowest.
    public static func configurations(_ vary: [String]) throws(PlanSettingsError) -> [[ScenarioOverride]] {
        var combinations: [[ScenarioOverride]] = [[]]
        for text in vary {
            var overrides: [ScenarioOverride] = []
            for value in try values(ofVary: text) {
                do { overrides.append(try ScenarioOverride(parsing: value)) } catch {
                    var message = "--vary \(error)"
                    if value.hasPrefix("autoscale="), value.filter({ $0 == "," }).count > 1 {
                        message += " (separate several autoscale values with |, like autoscale=8,2|16,4|off)"
                    }
                    throw PlanSettingsError(message)
                }
            }
            combinations = combinations.flatMap { prefix in overrides.map { prefix + [$0] } }
            guard combinations.count <= 10_000 else {
                throw PlanSettingsError("--vary gives more than 10,000 configurations")
            }
        }
        return combinations
    }

    /// The most seeds a plan runs per configuration.
    public static let maxSeeds = 1_000

    /// The seeds of `--seeds`: a count N (the scenario's seed and the N − 1 after it:
    /// seed, seed+1, …, seed+N−1) or a range `A...B` (A to B inclusive).
    public static func seeds(_ text: String, scenarioSeed: UInt64) throws(PlanSettingsError) -> [UInt64] {
        let trimmed = text.trimmingCharacters(in: " ")
        if let range = trimmed.range(of: "...") {
            guard let low = UInt64(trimmed[..<range.lowerBound]), let high = UInt64(trimmed[range.upperBound...]), low <= high else {
                throw PlanSettingsError("--seeds \(text): a range is two whole numbers A...B with A <= B (or give a count, like --seeds 10)")
            }
            guard high - low < UInt64(maxSeeds) else { throw PlanSettingsError("--seeds \(text): at most \(maxSeeds) seeds") }
            return Array(low...high)
        }
        guard let count = Int(trimmed), count >= 1 else {
            throw PlanSettingsError("--seeds \(text): expected a count of seeds (like 10) or a range A...B (like 1000...1029)")
        }
        guard count <= maxSeeds else { throw PlanSettingsError("--seeds \(text): at most \(maxSeeds) seeds") }
        guard scenarioSeed <= UInt64.max - UInt64(count) else { throw PlanSettingsError("--seeds \(text): the scenario's seed is too large to count up from") }
        return (0..<UInt64(count)).map { scenarioSeed + $0 }
    }

    /// `--confidence`: a share written `0.9` or `90%`, above 0 and at most 1.
    public static func confidence(_ text: String) throws(PlanSettingsError) -> Double {
        let trimmed = text.trimmingCharacters(in: " ")
        let isPercent = trimmed.hasSuffix("%")
        guard let number = Double(isPercent ? String(trimmed.dropLast()) : trimmed), number.isFinite else {
            throw PlanSettingsError("--confidence \(text): expected a share like 0.9 or 90%")
        }
        let share = isPercent ? number / 100 : number
        if !isPercent, share > 1, share <= 100 {
            throw PlanSettingsError("--confidence \(text): a share is at most 1; did you mean \(trimmed)%?")
        }
        guard share > 0, share <= 1 else { throw PlanSettingsError("--confidence \(text): expected a share above 0 and at most 1 (100%)") }
        return share
    }

    /// The SLOs every plan checks unless `--no-default-slos`: no task left unfinished and none lost.
    public static let defaultObjectives = ["leftover == 0", "lost == 0"]

    /// Added for a scenario with pipelines: a configuration whose chord joins or chains never finish
    /// loses documents even when every task is accounted for.
    public static let pipelineObjectives = ["pipelines_stuck == 0"]

    /// The user's SLOs followed by each default SLO whose metric the user did not already bound.
    public static func objectives(_ given: [Assertion], includeDefaults: Bool, pipelines: Bool = false) -> [Assertion] {
        guard includeDefaults else { return given }
        var all = given
        for text in defaultObjectives + (pipelines ? pipelineObjectives : []) {
            guard let assertion = try? Assertion.parse(text), !given.contains(where: { $0.metric == assertion.metric }) else { continue }
            all.append(assertion)
        }
        return all
    }
}

public struct PlanSettingsError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(drop(while: { $0 == character }).reversed().drop(while: { $0 == character }).reversed())
    }
}
