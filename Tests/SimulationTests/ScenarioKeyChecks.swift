import Scenarios
import Testing

/// A small valid scenario file for tests of one key: `topLevel` lines go at the top (a `broker:` or
/// `host:` section), `groupFields` into its one fleet group's flow mapping (`, task_overhead: 450us`).
func minimalScenarioYAML(topLevel: String = "", groupFields: String = "") -> String {
    """
    name: t
    duration: 10s
    \(topLevel)
    fleet:
      - {name: worker, count: 1, concurrency: 2\(groupFields)}
    tasks:
      - {name: job, duration: {constant: 10ms}}
    load:
      phases:
        - {duration: 10s, rate: 5/s}
    """
}

/// Expects the loader to refuse `yaml` with `bad` replaced by `replacement`, naming `place`.
func expectRejected(_ yaml: String, replacing bad: String, with replacement: String, naming place: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    let broken = yaml.replacingOccurrences(of: bad, with: replacement)
    #expect(broken != yaml, "the test's text does not contain \(bad)", sourceLocation: sourceLocation)
    do {
        _ = try ScenarioLoader.parse(yaml: broken, sourcePath: "t.yaml")
        Issue.record("accepted \(replacement) in place of \(bad)", sourceLocation: sourceLocation)
    } catch {
        #expect("\(error)".contains(place), "\(error)", sourceLocation: sourceLocation)
    }
}
